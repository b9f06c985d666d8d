CREATE TABLE "audit_events" (
	"id" bigint PRIMARY KEY GENERATED ALWAYS AS IDENTITY (sequence name "audit_events_id_seq" INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 START WITH 1 CACHE 1),
	"at" timestamp with time zone DEFAULT now() NOT NULL,
	"operator" text NOT NULL,
	"action" text NOT NULL,
	"step" text NOT NULL,
	"action_id" text NOT NULL,
	"transaction_id" text,
	"target" text,
	"reason" text,
	"outcome" text
);
--> statement-breakpoint
CREATE INDEX "audit_events_transaction" ON "audit_events" USING btree ("transaction_id","id");--> statement-breakpoint
CREATE INDEX "audit_events_action" ON "audit_events" USING btree ("action_id");--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_decision" ON "audit_events" USING btree ("action_id") WHERE "audit_events"."step" in ('approved', 'rejected');--> statement-breakpoint
CREATE UNIQUE INDEX "audit_events_outcome" ON "audit_events" USING btree ("action_id") WHERE "audit_events"."step" in ('done', 'refused', 'failed');--> statement-breakpoint
-- The audit trail is append-only in the database itself, whatever code or person connects.
CREATE FUNCTION "audit_events_append_only"() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'audit_events is append-only: % refused', TG_OP;
END
$$;--> statement-breakpoint
CREATE TRIGGER "audit_events_append_only" BEFORE UPDATE OR DELETE OR TRUNCATE ON "audit_events"
  FOR EACH STATEMENT EXECUTE FUNCTION "audit_events_append_only"();
