CREATE TABLE "reconciliation_items" (
	"reconciliation_id" text NOT NULL,
	"position" integer NOT NULL,
	"outcome" text NOT NULL,
	"switch_reference" text NOT NULL,
	"provider_line" jsonb,
	"switch_record" jsonb,
	"resolved_by" text,
	"resolved_at" timestamp with time zone,
	"resolution" text,
	CONSTRAINT "reconciliation_items_reconciliation_id_position_pk" PRIMARY KEY("reconciliation_id","position")
);
--> statement-breakpoint
CREATE TABLE "reconciliations" (
	"id" text PRIMARY KEY NOT NULL,
	"provider" text NOT NULL,
	"business_day" text NOT NULL,
	"format" text NOT NULL,
	"uploaded_by" text NOT NULL,
	"uploaded_at" timestamp with time zone DEFAULT now() NOT NULL,
	"line_count" integer NOT NULL,
	"counts" jsonb NOT NULL
);
--> statement-breakpoint
ALTER TABLE "reconciliation_items" ADD CONSTRAINT "reconciliation_items_reconciliation_id_reconciliations_id_fk" FOREIGN KEY ("reconciliation_id") REFERENCES "public"."reconciliations"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "reconciliations_day" ON "reconciliations" USING btree ("business_day","provider");--> statement-breakpoint
CREATE INDEX "transactions_switch_reference" ON "transactions" USING btree ("switch_reference");