import { GEMINI_EVENT_TYPES } from "@gemini-webhooks/core";
import { DEFAULT_AUDIENCE, DEFAULT_ISSUER_PORT } from "./local-issuer.js";

export const DEFAULT_URL = "http://127.0.0.1:3000/gemini-callback";

const TYPES = GEMINI_EVENT_TYPES.join(", ");

export const HELP: Record<string, string> = {
  main: `gemini-webhooks: test a Gemini API webhook endpoint before Gemini ever calls it

Usage: gemini-webhooks <command> [options]

Commands:
  trigger <event-type>   deliver a signed event the way Gemini does (retries, backoff)
  listen                 run a receiver that verifies and pretty-prints each delivery
  sign <event-type>      print a ready-to-paste curl command with a signed event
  secret                 print a fresh whsec_ signing secret (--v1a: a whsk_/whpk_ key pair)
  dead-letters           list, show, replay or delete failed deliveries kept in Redis or Postgres
  replay <id>… | --all   re-deliver failed deliveries kept in Redis or Postgres (= dead-letters replay)
  postgres migrate       create the tables of @gemini-webhooks/postgres (for deploy pipelines)
  doctor --url URL       check the webhooks registered with Gemini against your app (needs GEMINI_API_KEY)
  webhooks <action>      list, get, create, update, delete, ping or rotate the webhooks registered with Gemini

Run "gemini-webhooks <command> --help" for a command's options.

Examples:
  export GEMINI_WEBHOOK_SECRET=$(gemini-webhooks secret)
  gemini-webhooks listen --port 3000                              # terminal 1
  gemini-webhooks trigger batch.succeeded                         # terminal 2
  gemini-webhooks trigger batch.failed --url https://my.app/gemini-callback --data error_code=INTERNAL

Exit codes: 0 success, 1 a delivery failed (or another runtime error), 2 bad usage.
Environment: GEMINI_WEBHOOK_SECRET (default --secret), GEMINI_WEBHOOK_URL (default --url),
NO_COLOR (no colour; colour is only ever used on a terminal).
`,
  trigger: `Usage: gemini-webhooks trigger <event-type> [options]

Delivers a signed event to your endpoint like Gemini: a webhook-id that stays the same on every attempt,
a fresh webhook-timestamp and signature per attempt, and a retry with exponential backoff and jitter on
any non-2xx answer or timeout.

Event types: ${TYPES}

Options:
  --url URL               endpoint (default $GEMINI_WEBHOOK_URL or ${DEFAULT_URL})
  --secret whsec_…        static webhook secret: v1 HMAC signing (default $GEMINI_WEBHOOK_SECRET);
                          whsec_ + base64 of 16 bytes or more, as the receiver accepts (see "secret --help")
  --dynamic               sign as a dynamic webhook with local test keys instead (see below)
  --scheme v1a|jwt        dynamic signing scheme (default v1a, what Gemini delivers today)
  -d, --data key=value    set a data field (a string); key:=json sets a number, boolean, object…;
                          dotted keys nest (repeatable): --data id=batches/42 --data error_count:=3
  --metadata key=value    set a user_metadata field (same forms; dynamic webhooks echo it back)
  --count N               deliver N events, each with its own webhook-id (default 1)
  --concurrency N         attempts in flight at once (default 8)
  --max-attempts N        attempts per event before giving up (default 3; 0 = Gemini's 24 h of retries)
  --base-delay MS         first retry delay, doubled each time (default 1000)
  --timeout MS            an attempt with no answer within this fails and is retried (default 10000)
  --time-scale X          multiply backoff delays, e.g. 0.001 runs 24 h of retries in 86 s (default 1)
  --duplicates RATE       re-send this share of delivered events (same id), 0..1 (default 0)
  --reorder               start the deliveries in random order
  --allow-unknown-type    send an event type that is not in the catalog (to test your catch-all)
  --json                  print the delivery reports as JSON
  -q, --quiet             print only errors

Dynamic webhooks (--dynamic): the events are signed with test keys kept in
~/.config/gemini-webhooks/test-issuer.json (change with --keys FILE), whose public key set is served at
http://127.0.0.1:${DEFAULT_ISSUER_PORT}/.well-known/jwks.json while the command runs (change with --issuer-port N).
Point the receiver at it: jwks: { uri: "http://127.0.0.1:${DEFAULT_ISSUER_PORT}/.well-known/jwks.json",
audience: "${DEFAULT_AUDIENCE}" } (--audience sets the JWT audience).

Exits 0 when every event was delivered, 1 when one was not (after its retries), 2 on bad usage.
`,
  listen: `Usage: gemini-webhooks listen [options]

A local receiver for inspecting what a sender sends: verifies each POST (any path) with the same core as
the middleware, answers exactly as your app would, and pretty-prints the delivery. Ctrl-C stops it.

Options:
  --port N                port on 127.0.0.1 (default 3000; 0 picks a free one)
  --host HOST             interface to bind (default 127.0.0.1)
  --secret whsec_…        static webhook secret (default $GEMINI_WEBHOOK_SECRET; without one, a fresh
                          secret is generated and printed); whsec_ + base64 of 16 bytes or more
  --dynamic               also accept dynamic deliveries signed by "trigger --dynamic"
                          (JWKS http://127.0.0.1:${DEFAULT_ISSUER_PORT}/.well-known/jwks.json, audience ${DEFAULT_AUDIENCE})
  --jwks-uri URL          accept dynamic deliveries verified against this JWKS instead
  --audience AUD          expected JWT audience (default ${DEFAULT_AUDIENCE} with --dynamic)
  --fail-rate RATE        make this share of deliveries fail with 500 handler_failed, 0..1 (to watch retries)
  --forward URL           pass each verified delivery (same bytes and headers) to your app at URL, and the
                          app's answer (status, body) back to the sender, so a 500 from the app is retried;
                          needs the app's --secret; the listener itself keeps no dedupe state
  --forward-timeout MS    give up on the app after MS and answer 502 forward_failed (default 30000)
  --ui                    serve the inspector page on 127.0.0.1: deliveries live, with headers, scheme,
                          verification, the JSON and the answers; filters; resend
  --ui-port N             port of the inspector (default 0: a free one, printed at start)
  --headers               print the webhook headers of each delivery too
  --json                  print one JSON line per delivery instead

Examples:
  gemini-webhooks listen --port 4000 --forward http://127.0.0.1:3000/gemini-callback --ui
`,
  sign: `Usage: gemini-webhooks sign <event-type> [options]

Prints a curl command that delivers one signed event. The signature carries the current time, so paste it
within 5 minutes (the receiver's replay window); the receiver answers 200 "duplicate" if you run it twice.

Event types: ${TYPES}

Options:
  --url URL               endpoint (default $GEMINI_WEBHOOK_URL or ${DEFAULT_URL})
  --secret whsec_…        static webhook secret (default $GEMINI_WEBHOOK_SECRET); whsec_ + base64 of
                          16 bytes or more, as the receiver accepts
  -d, --data key=value    set a data field (key:=json for JSON values; repeatable)
  --metadata key=value    set a user_metadata field
  --id ID                 webhook-id (default a fresh msg_…)
  --timestamp SECONDS     webhook-timestamp (default now)
  --json                  print { url, headers, body } as JSON instead of curl
  --allow-unknown-type    sign an event type that is not in the catalog
`,
  "dead-letters": `Usage: gemini-webhooks dead-letters list|show|replay|delete [ids…] (--app MODULE | --redis-url URL | --database-url URL) [options]

The deliveries whose handlers failed, as your receiver's deadLetters store keeps them. An entry leaves the
list when a later delivery of it succeeds.

  list                    print them, the most recently failed first
  show <id>…              print entries in full (the event, its webhook-id and scheme, the error)
  replay <id>… | --all    run each one again:
                          --app MODULE: through your receiver's own deadLetters.replay(id), under the
                            entry's stored idempotency key, for every scheme (v1, v1a, JWT): one processed
                            meanwhile answers "duplicate", and Gemini's later retry of it does too;
                          --redis-url / --database-url URL: delivered to your app over HTTP (--url),
                            signed v1 (--secret)
                            under its ORIGINAL webhook-id: v1 and v1a entries (and dedupeBy "event" keys)
                            only, as a JWT delivery's key is out of reach of a v1 delivery (use --app).
                          The entry goes once the replay succeeds, and is kept otherwise.
  delete <id>… | --all    drop entries without replaying them

An <id> is the entry's id (as list prints it) or its webhook-id; it is found wherever it is in the store.

Options:
  --app MODULE            your app's module exporting the receiver (createGeminiWebhooks(...) with its
                          deadLetters store), without starting a server; default export, "webhooks", or
                          the first receiver found
  --export NAME           the export to use from --app
  --redis-url URL         or: the Redis of your app's redisDeadLetters (default $REDIS_URL)
  --prefix P              the redisDeadLetters prefix, if your app sets one (default "gemini-webhooks:")
  --database-url URL      or: the Postgres of your app's postgresDeadLetters (default $DATABASE_URL, when
                          no $REDIS_URL is set); leave the password out and set PGPASSWORD to keep it off
                          the command line
  --schema NAME           the postgresDeadLetters schema, if your app sets one (default "gemini_webhooks")
  --limit N               list / --all: the N most recent entries (default 100)
  --url URL               HTTP replay: your app's webhook endpoint (default $GEMINI_WEBHOOK_URL)
  --secret whsec_…        HTTP replay: your app's static webhook secret (default $GEMINI_WEBHOOK_SECRET)
  --max-attempts N        HTTP replay: attempts per entry, with backoff (default 3)
  --base-delay MS         HTTP replay: first retry delay, doubled each time (default 1000)
  --timeout MS            HTTP replay: an attempt with no answer within this fails (default 10000)
  --json                  print JSON

--redis-url needs @gemini-webhooks/redis and a Redis client (ioredis or redis) installed next to this package,
--database-url needs @gemini-webhooks/postgres and pg. A password in a URL is masked in everything printed.
Exits 0 when every replay succeeded, 1 when one did not (its entry is kept) or the store is unreachable,
2 on bad usage.
`,
  replay: `Usage: gemini-webhooks replay <id>… | --all (--app MODULE | --redis-url URL | --database-url URL --url URL --secret whsec_…)

Shorthand for "gemini-webhooks dead-letters replay": runs failed deliveries again. With --app, through your
receiver's own deadLetters.replay(id), under each entry's stored idempotency key (any scheme, JWT included);
with --redis-url or --database-url, re-delivered to --url signed v1 under the original webhook-id (v1 and
v1a entries).
Either way your app's dedupe applies: one processed meanwhile answers "duplicate". The entry goes once the
replay succeeds and is kept otherwise. An <id> is the entry's id or its webhook-id.
Options: those of "gemini-webhooks dead-letters --help".
`,
  postgres: `Usage: gemini-webhooks postgres migrate [--database-url URL] [--schema NAME] [--json]

Creates the schema and tables of @gemini-webhooks/postgres (idempotency, small values, dead letters) and
their indexes where they are missing, as migrate(pool, { schema }) does, and prints which it created. Safe
to run on every deploy and from several at once (an advisory lock); a second run creates nothing. The
store and the dead-letter list create them on first use too: run this when your app's database role may
not create tables.

Options:
  --database-url URL      the Postgres your app uses (default $DATABASE_URL); leave the password out and
                          set PGPASSWORD to keep it off the command line (a password in the URL is masked
                          in everything printed)
  --schema NAME           the schema your app passes to postgresStore / postgresDeadLetters
                          (default "gemini_webhooks")
  --json                  print { database, schema, created, tables }

Needs @gemini-webhooks/postgres and pg installed (not for --help).
Exits 0 on success (created or already there), 1 when the database is unreachable or refused, 2 on bad usage.
`,
  doctor: `Usage: gemini-webhooks doctor --url URL [--app MODULE] [--export NAME] [--json]

Lists the webhooks registered with the Gemini API (project of GEMINI_API_KEY) and checks, for URL:
whether one points at it, its state (and what to do when Gemini disabled it after failed deliveries),
its subscribed events against the handlers your app registers (with --app), and whether the signing
secrets in GEMINI_WEBHOOK_SECRET are the webhook's (when the API shows enough of them to tell). During a
rotation, set both (GEMINI_WEBHOOK_SECRET=new,old): doctor checks each one, and with --app confirms that
your receiver accepts a delivery signed with each.
Needs @gemini-webhooks/genai and @google/genai installed (not for --help).

Options:
  --url URL               the URL Gemini should deliver to (default $GEMINI_WEBHOOK_URL)
  --app MODULE            your app's module exporting the receiver (createGeminiWebhooks(...)), or options
                          with an "on" handler map; default export, "webhooks", or the first one found
  --export NAME           the export to use from --app
  --json                  print the findings as JSON

Environment: GEMINI_API_KEY (or GOOGLE_API_KEY), GEMINI_WEBHOOK_SECRET (several: comma-separated),
GOOGLE_GEMINI_BASE_URL (another API endpoint, e.g. a local test server).
Exits 0 when nothing needs fixing, 1 when something does (or the API could not be asked), 2 on bad usage.
`,
  webhooks: `Usage: gemini-webhooks webhooks <action> [id] [options]

The static webhooks registered with the Gemini API (project of GEMINI_API_KEY), through @google/genai.

  list                    every registered webhook (follows every page)
  get <id>                one webhook
  create --url URL --events a,b [--name N]
                          register one; prints its signing secret once, on stdout only
  update <id> [--url URL] [--events a,b] [--name N] [--state enabled|disabled]
                          change what is given (e.g. --state enabled after Gemini disabled it)
  delete <id>             remove one
  ping <id>               ask Gemini to send it a ping event
  rotate <id> --revoke immediately|after-24h
                          a new signing secret, printed once inside the receiver config that holds it and
                          the current one (from GEMINI_WEBHOOK_SECRET), with the time the old one expires;
                          then check with: gemini-webhooks doctor --url URL --app MODULE

Event types a webhook can subscribe to: batch.succeeded, batch.expired, batch.failed,
interaction.requires_action, interaction.completed, interaction.failed, video.generated.

Options:
  --json                  print the API's answer as JSON (create / rotate: the secret is in it, once)

Environment: GEMINI_API_KEY (or GOOGLE_API_KEY), GOOGLE_GEMINI_BASE_URL (another API endpoint),
GEMINI_WEBHOOK_SECRET (rotate: the current secret, kept valid until it expires).
Needs @google/genai installed (not for --help).
Exits 0 on success, 1 when the API refused or failed, 2 on bad usage.
`,
  secret: `Usage: gemini-webhooks secret [--bytes N] [--json]
       gemini-webhooks secret --v1a [--json]

Prints a fresh random signing secret, whsec_ followed by base64 of N random bytes (default 32, 16..64).
The range is what the receiver (and --secret of trigger, sign and listen) accepts: at least 16 bytes, the
Standard Webhooks minimum. Gemini's own secrets are 24 to 64 bytes; prefer 24 or more for real use.
--v1a prints a Standard Webhooks v1a key pair instead, one per line: the signing key (whsk_…, the sender's:
keep it secret) and the public key (whpk_…, the receiver's publicKey option). --json: {"secret"} or
{"secretKey", "publicKey"}.
`,
};
