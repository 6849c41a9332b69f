CREATE TABLE `dmarc_reports_sent` (
	`day` text NOT NULL,
	`policy_domain` text NOT NULL,
	`sent_at` integer NOT NULL,
	`destinations` text DEFAULT '[]' NOT NULL,
	PRIMARY KEY(`day`, `policy_domain`)
);
--> statement-breakpoint
CREATE TABLE `dmarc_results` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`day` text NOT NULL,
	`policy_domain` text NOT NULL,
	`source_ip` text NOT NULL,
	`header_from` text NOT NULL,
	`envelope_from` text DEFAULT '' NOT NULL,
	`disposition` text NOT NULL,
	`dkim_aligned` text NOT NULL,
	`spf_aligned` text NOT NULL,
	`reason` text DEFAULT '' NOT NULL,
	`auth_results` text NOT NULL,
	`published` text NOT NULL,
	`rua` text DEFAULT '[]' NOT NULL,
	`count` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `dmarc_results_key` ON `dmarc_results` (`day`,`policy_domain`,`source_ip`,`header_from`,`envelope_from`,`disposition`,`dkim_aligned`,`spf_aligned`,`reason`,`auth_results`);--> statement-breakpoint
CREATE TABLE `received_reports` (
	`id` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`kind` text NOT NULL,
	`org_name` text NOT NULL,
	`report_id` text NOT NULL,
	`policy_domain` text NOT NULL,
	`begin_at` integer NOT NULL,
	`end_at` integer NOT NULL,
	`received_at` integer NOT NULL,
	`report` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `received_reports_key` ON `received_reports` (`kind`,`org_name`,`report_id`);--> statement-breakpoint
CREATE INDEX `received_reports_domain` ON `received_reports` (`policy_domain`,`begin_at`);--> statement-breakpoint
ALTER TABLE `contents` ADD `authentication` text;