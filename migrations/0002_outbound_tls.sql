CREATE TABLE `mta_sts_policies` (
	`domain` text PRIMARY KEY NOT NULL,
	`policy_id` text NOT NULL,
	`mode` text NOT NULL,
	`mx` text NOT NULL,
	`max_age` integer NOT NULL,
	`policy_text` text NOT NULL,
	`fetched_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `tls_reports_sent` (
	`day` text NOT NULL,
	`policy_domain` text NOT NULL,
	`sent_at` integer NOT NULL,
	`destinations` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`day`, `policy_domain`)
);
--> statement-breakpoint
CREATE TABLE `tls_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`day` text NOT NULL,
	`policy_domain` text NOT NULL,
	`policy_type` text NOT NULL,
	`policy_strings` text DEFAULT '[]' NOT NULL,
	`mx_host` text DEFAULT '' NOT NULL,
	`receiving_ip` text DEFAULT '' NOT NULL,
	`result` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `tls_results_key` ON `tls_results` (`day`,`policy_domain`,`policy_type`,`policy_strings`,`mx_host`,`receiving_ip`,`result`,`reason`);--> statement-breakpoint
ALTER TABLE `queue` ADD `require_tls` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `queue` ADD `smtp_utf8` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `queue` ADD `delay_notified` integer DEFAULT false NOT NULL;