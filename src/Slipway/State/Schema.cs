namespace Slipway.State;

/// <summary>Versioned schema migrations. Append only: never edit a shipped step, add a new one.
///
/// One ordered list for the whole database, although some tables belong to subsystems above State (Jobs'
/// from step 4, Databases' from step 5): a data directory's schema_version is a single number that every
/// released Slipway has written, so the steps cannot be split per subsystem without renumbering what is on
/// disk; one list also gives one order for steps that touch several subsystems' tables. The steps are plain SQL
/// text, so State names those tables only here, never in code that reads or writes them (that is
/// <see cref="ISealedRows"/> and <see cref="IAppRows"/>).</summary>
internal static class Schema
{
    public static readonly string[] Migrations =
    [
        // 1: apps, builds, deployments, instances, events.
        """
        create table apps (
            name text primary key,
            created_at text not null,
            live_deployment_id text,
            desired_state text not null default 'running',
            hosts text not null default '[]'
        );
        create table builds (
            id text primary key,
            app text not null,
            dir text not null,
            source text not null,
            commit_sha text,
            created_at text not null,
            pruned integer not null default 0
        );
        create index builds_app on builds(app, created_at);
        create table deployments (
            id text primary key,
            app text not null,
            seq integer not null,
            kind text not null,
            status text not null,
            step text,
            error text,
            source text not null,
            commit_sha text,
            build_id text,
            spec_json text,
            config_json text,
            rollback_of text,
            created_at text not null,
            started_at text,
            finished_at text,
            live_at text
        );
        create unique index deployments_app_seq on deployments(app, seq);
        create table instances (
            id text primary key,
            deployment_id text not null,
            app text not null,
            service text not null,
            replica integer not null,
            port integer,
            pid integer,
            pid_start text,
            state text not null,
            restarts integer not null default 0,
            started_at text not null,
            stopped_at text
        );
        create index instances_deployment on instances(deployment_id);
        create table events (
            id integer primary key autoincrement,
            at text not null,
            app text,
            deployment_id text,
            kind text not null,
            message text not null
        );
        create index events_app on events(app, id);
        """,
        // 2: config vars (values encrypted), and a keyed fingerprint of each deployment's config snapshot so
        // two snapshots can be compared without decrypting them.
        """
        create table config_vars (
            app text not null,
            env text not null,
            name text not null,
            value_enc text not null,
            secret integer not null,
            updated_at text not null,
            primary key (app, env, name)
        );
        alter table deployments add column config_hash text;
        """,
        // 3: environments. An app's environment is stored as its own row (name "APP-ENV", production: "APP"),
        // so deployments, instances, hostnames and history stay per environment with no other change.
        """
        alter table apps add column base_app text;
        alter table apps add column env text not null default 'production';
        update apps set base_app = name where base_app is null;
        """,
        // 4: jobs (Jobs/): the last schedule slot each cron job of an app row was considered for, the history of
        // its runs, and delayed messages with their delivery state.
        """
        create table cron_state (
            app text not null,
            job text not null,
            last_slot text not null,
            primary key (app, job)
        );
        create table cron_runs (
            id text primary key,
            app text not null,
            job text not null,
            deployment_id text,
            trigger text not null,
            scheduled_at text,
            started_at text not null,
            finished_at text,
            status text not null,
            attempts integer not null default 0,
            http_status integer,
            exit_code integer,
            duration_ms integer,
            output text,
            error text
        );
        create index cron_runs_app_job on cron_runs(app, job, started_at);
        create table messages (
            id text primary key,
            app text not null,
            service text,
            path text,
            url text,
            method text not null,
            headers_json text not null,
            body blob,
            not_before text not null,
            retries integer not null,
            backoff_ms integer not null,
            attempts integer not null default 0,
            status text not null,
            last_status integer,
            last_error text,
            created_at text not null,
            finished_at text
        );
        create index messages_due on messages(status, not_before);
        create index messages_app on messages(app, created_at);
        """,
        // 5: databases. One row per database of an environment (app = the environment's row name) or a detached
        // one (app ''), the servers admins added, and every logical backup with how its verification went.
        """
        create table db_servers (
            name text primary key,
            url_enc text not null,
            created_at text not null
        );
        create table databases (
            id text primary key,
            app text not null,
            base_app text not null,
            env text not null,
            name text not null,
            type text not null,
            server text not null,
            db_name text not null,
            role_name text not null,
            secret_enc text not null,
            var_name text not null,
            settings text not null,
            created_at text not null,
            last_scheduled_at text
        );
        create index databases_app on databases(app, name);
        create table db_backups (
            id text primary key,
            database_id text not null,
            app text not null,
            db_name text not null,
            kind text not null,
            status text not null,
            location text,
            size_bytes integer,
            sha256 text,
            tables_json text,
            started_at text not null,
            finished_at text,
            duration_ms integer,
            error text
        );
        create index db_backups_database on db_backups(database_id, started_at);
        """,
        // 6: access (Access/). Users (Argon2id hashes; TOTP secrets sealed under the master key), the grants of
        // users and tokens (a role over the platform, an app or one environment: '' where the scope is wider),
        // API tokens and sessions (only SHA-256 hashes of their secrets are stored), the audit log, and settings
        // such as the one-time setup code's hash.
        """
        create table users (
            id text primary key,
            name text not null unique,
            password_hash text not null,
            totp_secret_enc text,
            totp_last_step integer not null default 0,
            recovery_json text not null default '[]',
            created_at text not null,
            password_changed_at text not null
        );
        create table grants (
            holder text not null,
            role text not null,
            app text not null default '',
            env text not null default '',
            primary key (holder, app, env)
        );
        create table tokens (
            id text primary key,
            name text not null,
            hash text not null unique,
            hint text not null,
            created_by text not null,
            created_at text not null,
            expires_at text,
            last_used_at text,
            last_used_from text,
            revoked_at text
        );
        create table sessions (
            hash text primary key,
            user_id text not null,
            kind text not null,
            csrf text not null,
            created_at text not null,
            expires_at text not null,
            last_seen_at text not null,
            address text,
            client text
        );
        create index sessions_user on sessions(user_id);
        create table audit (
            id integer primary key autoincrement,
            at text not null,
            actor text not null,
            address text,
            client text,
            action text not null,
            app text,
            env text,
            detail text,
            outcome text not null
        );
        create index audit_at on audit(at);
        create index audit_app on audit(app, at);
        create table access_settings (
            key text primary key,
            value text not null
        );
        """,
        // 7: app users (Sandbox/). The uid each app environment's processes run as, from a reserved range; a uid is
        // never given to another environment, even after its own is destroyed, so no file it left is inherited.
        """
        create table app_users (
            app text primary key,
            uid integer not null unique
        );
        """,
        // 8: domains (Domains/). A custom hostname of one app environment, its redirect-from names and HSTS choice, and
        // the state of its ACME certificate (what was issued, when to renew, the last failure and when to try again);
        // acme_settings holds the CA directory, contact, account and External Account Binding (secrets sealed).
        """
        create table domains (
            host text primary key,
            app text not null,
            redirect_from text not null default '[]',
            hsts integer not null default 0,
            created_at text not null,
            acme_thumbprint text,
            acme_cert_id text,
            issued_at text,
            not_after text,
            renew_at text,
            ari_checked_at text,
            next_attempt_at text,
            failures integer not null default 0,
            last_error text,
            last_attempt_at text
        );
        create index domains_app on domains(app);
        create table acme_settings (
            key text primary key,
            value text not null
        );
        """,
        // 9: certificates Slipway issued for the domains of a destroyed environment, deleted from DATA/certs by the
        // issuer's next round (files are not touched inside the destroy's transaction).
        """
        create table certificates_to_remove (
            host text not null,
            thumbprint text not null,
            primary key (host, thumbprint)
        );
        """,
        // 10: log drains (Monitoring/). Where an app environment's log lines (app '' : every app's) are shipped: the URL
        // and the headers sealed under the master key (they hold credentials), a masked destination to show, and the
        // delivery status (up/failing, counts, last delivery, last error) kept across restarts.
        """
        create table drains (
            id text primary key,
            app text not null,
            base_app text not null,
            env text not null,
            name text not null,
            kind text not null,
            destination text not null,
            url_enc text not null,
            headers_enc text not null,
            header_names text not null default '[]',
            access integer not null default 0,
            gzip integer not null default 0,
            ca_pem text,
            created_at text not null,
            state text not null default 'up',
            delivered integer not null default 0,
            dropped integer not null default 0,
            last_delivered_at text,
            last_error text,
            last_error_at text,
            unique (app, name)
        );
        """,
        // 11: alerts (Monitoring/Alerts/). Rule settings changed from the CLI per app environment (app '' : platform-wide),
        // custom rules among them; and every alert raised, one open ("firing") row per rule, app and subject at most,
        // kept as history once resolved.
        """
        create table alert_settings (
            app text not null,
            rule text not null,
            custom integer not null default 0,
            spec text not null,
            updated_at text not null,
            primary key (app, rule)
        );
        create table alerts (
            id text primary key,
            rule text not null,
            subject text not null,
            app text not null,
            severity text not null,
            title text not null,
            detail text not null,
            channels text not null default '[]',
            state text not null,
            started_at text not null,
            last_seen_at text not null,
            resolved_at text
        );
        create unique index alerts_open on alerts(rule, app, subject) where state = 'firing';
        create index alerts_started on alerts(started_at);
        """,
        // 12: alert channels (Monitoring/Alerts/Channels/). Where alert notices go (a webhook, Slack, Discord, e-mail):
        // the URL, signing secret and SMTP password sealed under the master key, a masked destination to show, filters
        // and the delivery status; one delivery row per notice and channel (pending until sent, failed or suppressed
        // by the rate limit; a summary row counts the suppressed ones), with the notice itself as JSON. History: 90 days.
        """
        create table alert_channels (
            id text primary key,
            name text not null unique,
            kind text not null,
            destination text not null,
            recipients text not null default '[]',
            sender text,
            secrets_enc text not null,
            min_severity text not null,
            apps text not null default '[]',
            created_at text not null,
            state text not null default 'up',
            delivered integer not null default 0,
            failed integer not null default 0,
            suppressed integer not null default 0,
            last_delivered_at text,
            last_error text,
            last_error_at text
        );
        create table alert_deliveries (
            id integer primary key autoincrement,
            notice_id text not null,
            alert_id text not null,
            kind text not null,
            channel text not null,
            state text not null,
            attempts integer not null default 0,
            created_at text not null,
            next_attempt_at text not null,
            sent_at text,
            error text,
            notice text not null,
            summarized integer not null default 0,
            unique (notice_id, channel)
        );
        create index alert_deliveries_channel on alert_deliveries(channel, state, id);
        create index alert_deliveries_alert on alert_deliveries(alert_id);
        create index alert_deliveries_created on alert_deliveries(created_at);
        """,
        // 13: uptime checks and status pages (Monitoring/Uptime, Monitoring/StatusPages). A check is a URL a user added
        // (app: its app environment's row key, '' platform-wide) or an app environment's default check through the edge
        // (kind 'default', a row made the first time it runs; its URL comes from the live release); settings left null
        // take the defaults. Incidents (2 failures in a row until 2 successes in a row, or opened by a person on a status
        // page) with their notes; status pages with the hostname the edge serves them at. Raw check results live in
        // DATA/uptime.db, not here.
        """
        create table uptime_checks (
            id text primary key,
            name text not null unique,
            kind text not null,
            app text not null,
            url text,
            every_ms integer,
            expect text,
            timeout_ms integer,
            slo real,
            path text,
            paused integer not null default 0,
            created_at text not null
        );
        create index uptime_checks_app on uptime_checks(app);
        create table uptime_incidents (
            id text primary key,
            check_id text,
            app text not null,
            title text not null,
            started_at text not null,
            ended_at text,
            cause text not null,
            last_cause text,
            manual integer not null default 0
        );
        create index uptime_incidents_check on uptime_incidents(check_id, ended_at);
        create index uptime_incidents_started on uptime_incidents(started_at);
        create table uptime_incident_notes (
            id integer primary key autoincrement,
            incident_id text not null references uptime_incidents(id) on delete cascade,
            at text not null,
            body text not null,
            resolved integer not null default 0,
            author text not null
        );
        create index uptime_incident_notes_incident on uptime_incident_notes(incident_id);
        create table status_pages (
            name text primary key,
            host text not null unique,
            title text not null,
            apps text not null,
            created_at text not null
        );
        """,
        // 14: what names an instance's output FIFOs and cgroup (its launch), so a restarted platform can re-adopt it.
        """
        alter table instances add column launch_key text;
        """,
        // 15: git delivery (Git/). The commit a build was made from is shown with its message's first line and author; a
        // git remote per app (its bare repository is DATA/git/APP.git) with whether a force push may replace history, and
        // the branches that deploy, each to one environment (a pattern may end in "*"). A remote connected to a forge
        // (GitHub, GitLab, Gitea) also has the repository's URL, the webhook's secret and an access token (both sealed),
        // the forge's API base when it is not the public one, and the deliveries it received (their ids make a
        // redelivery harmless; refused ones are kept too, for `slipway git deliveries`). With previews on, each open pull
        // request has a preview environment pr-N, removed when the request closes or its TTL passes without a change; its
        // host is pr-N.APP.DOMAIN when the app has a preview domain, and the forge's comment about it is updated in place.
        """
        alter table builds add column commit_subject text;
        alter table builds add column commit_author text;
        alter table deployments add column commit_subject text;
        alter table deployments add column commit_author text;
        create table git_remotes (
            app text primary key,
            allow_force integer not null default 0,
            created_at text not null,
            forge text,
            repo_url text,
            webhook_secret_enc text,
            token_enc text,
            api_base text,
            previews integer not null default 0,
            preview_ttl_hours integer not null default 168,
            preview_db_from text not null default 'staging',
            preview_db_data integer not null default 0,
            preview_fork_secrets integer not null default 0,
            preview_domain text,
            preview_crons integer not null default 0
        );
        create table git_previews (
            app text not null,
            number integer not null,
            head_sha text not null,
            head_branch text not null,
            clone_url text not null,
            from_fork integer not null,
            title text,
            author text,
            state text not null,
            detail text,
            deployment_id text,
            comment_id text,
            created_at text not null,
            updated_at text not null,
            primary key (app, number)
        );
        create table git_deliveries (
            id integer primary key autoincrement,
            app text not null,
            forge text not null,
            delivery text,
            event text,
            received_at text not null,
            outcome text not null,
            detail text,
            deployment_id text
        );
        create index git_deliveries_app on git_deliveries(app, id);
        create index git_deliveries_delivery on git_deliveries(app, forge, delivery);
        create table git_branches (
            app text not null,
            pattern text not null,
            env text not null,
            created_at text not null,
            primary key (app, pattern)
        );
        """,
        // 16: pull requests closed lately, kept past their preview's removal: forges deliver out of order, so an update
        // delivered after the close (older than it by the pull request's own updated_at) must not make the preview again;
        // and a preview keeps the newest updated_at it was made or updated for, so a close older than a reopen is late.
        """
        alter table git_previews add column pull_updated_at text;
        create table git_closed_pulls (
            app text not null,
            number integer not null,
            closed_at text not null,
            pull_updated_at text,
            primary key (app, number)
        );
        """,
        // 17: the newest opening, reopen or update taken for each pull request (its forge updated_at), whether or not
        // it has a preview row: a close older than it, delivered late, leaves the preview. git_previews.pull_updated_at
        // (16) is no longer written.
        """
        create table git_pulls_seen (
            app text not null,
            number integer not null,
            updated_at text not null,
            reopened integer not null,
            noted_at text not null,
            primary key (app, number)
        );
        """,
        // 18: off-site stores (S3-compatible buckets) backups are copied to; their keys sealed under the master key.
        """
        create table offsite_storages (
            name text primary key,
            endpoint text not null,
            bucket text not null,
            prefix text not null,
            region text not null,
            access_key_enc text not null,
            secret_key_enc text not null,
            keep_local integer not null,
            created_at text not null
        );
        """,
        // 19: what was copied to which off-site store (WAL segments, base backups, build sources, platform snapshots),
        // so each goes once.
        """
        create table offsite_shipped (
            storage text not null,
            key text not null,
            size integer not null,
            shipped_at text not null,
            primary key (storage, key)
        );
        """,
        // 20: a store may take one database's backups only (scope "ROW/DB", the first two segments of its backups'
        // keys); null is platform-wide, as before. At most one store per database (a unique index lets nulls repeat).
        """
        alter table offsite_storages add column scope text;
        create unique index offsite_storages_scope on offsite_storages (scope);
        """,
        // 21: who asked for each deployment: the user or token that called the API (deploy, upload, rollback, promote,
        // restart, redeploy, a config release), the pusher of a git push, "webhook (FORGE)", "preview (...)", "platform
        // restore". Null for deployments made before it was recorded.
        """
        alter table deployments add column requested_by text;
        """,
    ];
}
