CREATE TABLE "settlement_reports" (
	"business_day" text PRIMARY KEY NOT NULL,
	"cutoff" text NOT NULL,
	"time_zone" text NOT NULL,
	"window_from" timestamp with time zone NOT NULL,
	"window_to" timestamp with time zone NOT NULL,
	"transaction_count" integer NOT NULL,
	"figures" jsonb NOT NULL,
	"produced_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "transactions" ADD COLUMN "fee_amount" integer;