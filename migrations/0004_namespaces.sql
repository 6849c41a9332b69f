ALTER TABLE `domains` ADD `origin` text DEFAULT 'admin' NOT NULL;--> statement-breakpoint
ALTER TABLE `domains` ADD `expires_at` integer;