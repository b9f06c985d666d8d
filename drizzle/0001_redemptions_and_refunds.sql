ALTER TABLE "transactions" ALTER COLUMN "provider" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "voucher_key" text;--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "voucher_serial_number" text;--> statement-breakpoint
CREATE INDEX "transactions_voucher_key" ON "transactions" USING btree ("voucher_key");--> statement-breakpoint
CREATE INDEX "transactions_voucher_serial" ON "transactions" USING btree ("channel_id","voucher_serial_number");