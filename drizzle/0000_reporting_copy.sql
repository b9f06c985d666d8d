CREATE TABLE "message_traces" (
	"id" serial PRIMARY KEY NOT NULL,
	"transaction_id" text NOT NULL,
	"leg" text NOT NULL,
	"operation" text NOT NULL,
	"method" text,
	"url" text,
	"request" jsonb,
	"status" integer,
	"response" jsonb,
	"started_at" timestamp with time zone NOT NULL,
	"duration_ms" integer
);
--> statement-breakpoint
CREATE TABLE "transactions" (
	"id" text PRIMARY KEY NOT NULL,
	"type" text NOT NULL,
	"channel_id" text NOT NULL,
	"message_id" text NOT NULL,
	"provider" text NOT NULL,
	"voucher_provider" text,
	"product_id" text,
	"state" text NOT NULL,
	"amount" integer,
	"currency" text,
	"switch_reference" text NOT NULL,
	"provider_reference" text,
	"voucher_code_masked" text,
	"http_status" integer,
	"error_type" text,
	"received_at" timestamp with time zone NOT NULL,
	"answered_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL
);
--> statement-breakpoint
ALTER TABLE "message_traces" ADD CONSTRAINT "message_traces_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE UNIQUE INDEX "message_traces_leg" ON "message_traces" USING btree ("transaction_id","leg","operation");--> statement-breakpoint
CREATE UNIQUE INDEX "transactions_channel_message" ON "transactions" USING btree ("channel_id","message_id","type");