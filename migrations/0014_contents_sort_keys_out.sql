DROP INDEX `contents_sort_keys`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `base_subject`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `sort_from`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `sort_to`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `sort_cc`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `display_from`;--> statement-breakpoint
ALTER TABLE `contents` DROP COLUMN `display_to`;