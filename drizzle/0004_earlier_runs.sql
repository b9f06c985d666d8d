ALTER TABLE "transactions" ADD COLUMN "run_id" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "sealed_state" text;