ALTER TABLE `accounts` ADD `quota_messages` integer;--> statement-breakpoint
ALTER TABLE `messages` ADD `save_date` integer;