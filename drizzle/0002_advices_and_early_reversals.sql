CREATE TABLE "advices" (
	"transaction_id" text NOT NULL,
	"advice_id" text NOT NULL,
	"kind" text NOT NULL,
	"origin" text NOT NULL,
	"reason" text,
	"provider" text,
	"saf" text NOT NULL,
	"attempts" integer DEFAULT 0 NOT NULL,
	"last_error" text,
	"accepted_at" timestamp with time zone NOT NULL,
	"settled_at" timestamp with time zone,
	"updated_at" timestamp with time zone DEFAULT now() NOT NULL,
	CONSTRAINT "advices_transaction_id_advice_id_pk" PRIMARY KEY("transaction_id","advice_id")
);
--> statement-breakpoint
ALTER TABLE "transactions" ALTER COLUMN "switch_reference" DROP NOT NULL;--> statement-breakpoint
ALTER TABLE "advices" ADD CONSTRAINT "advices_transaction_id_transactions_id_fk" FOREIGN KEY ("transaction_id") REFERENCES "public"."transactions"("id") ON DELETE no action ON UPDATE no action;--> statement-breakpoint
CREATE INDEX "advices_backlog" ON "advices" USING btree ("saf","provider","accepted_at");