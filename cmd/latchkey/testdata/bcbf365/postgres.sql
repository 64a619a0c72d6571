--
-- PostgreSQL database dump
--


-- Dumped from database version 15.18 (Debian 15.18-0+deb12u1)
-- Dumped by pg_dump version 15.18 (Debian 15.18-0+deb12u1)

SET statement_timeout = 0;
SET lock_timeout = 0;
SET idle_in_transaction_session_timeout = 0;
SET client_encoding = 'UTF8';
SET standard_conforming_strings = on;
SET check_function_bodies = false;
SET xmloption = content;
SET client_min_messages = warning;
SET row_security = off;

--
-- Name: __SCHEMA__; Type: SCHEMA; Schema: -; Owner: -
--



SET default_tablespace = '';

SET default_table_access_method = heap;

--
-- Name: api_tokens; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.api_tokens (
    id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL,
    kind character varying(16) NOT NULL,
    name character varying(64) NOT NULL,
    read_only boolean NOT NULL,
    digest character varying(64) NOT NULL,
    hint character varying(8) NOT NULL,
    created_at timestamp with time zone,
    expires_at timestamp with time zone,
    revoked_at timestamp with time zone,
    last_used_at timestamp with time zone
);


--
-- Name: applications; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.applications (
    id character varying(36) NOT NULL,
    domain_id character varying(36) NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(500) DEFAULT ''::character varying NOT NULL,
    type character varying(16) NOT NULL,
    client_id character varying(64) NOT NULL,
    owner_id character varying(36),
    access_token_lifetime bigint DEFAULT 7200 NOT NULL,
    disabled boolean DEFAULT false NOT NULL,
    scopes character varying(2000) DEFAULT ''::character varying NOT NULL,
    secret_expiry_override boolean NOT NULL,
    secret_expiry_unit character varying(16) DEFAULT ''::character varying NOT NULL,
    secret_expiry_duration bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: audit_events; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.audit_events (
    id character varying(36) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    type character varying(64) NOT NULL,
    actor_id character varying(36),
    actor_email character varying(254),
    client_ip character varying(64),
    domain_id character varying(36),
    application_id character varying(36),
    target_id character varying(36),
    target_name character varying(254),
    outcome character varying(16) NOT NULL,
    detail character varying(1000)
);


--
-- Name: client_secrets; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.client_secrets (
    id character varying(36) NOT NULL,
    application_id character varying(36) NOT NULL,
    description character varying(64) NOT NULL,
    digest character varying(64) NOT NULL,
    hint character varying(8) NOT NULL,
    created_at timestamp with time zone,
    renewed_at timestamp with time zone,
    expires_at timestamp with time zone,
    last_used_at timestamp with time zone
);


--
-- Name: domain_owners; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.domain_owners (
    domain_id character varying(36) NOT NULL,
    user_id character varying(36) NOT NULL
);


--
-- Name: domains; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.domains (
    id character varying(36) NOT NULL,
    hrid character varying(64) NOT NULL,
    name character varying(64) NOT NULL,
    description character varying(500) DEFAULT ''::character varying NOT NULL,
    enabled boolean NOT NULL,
    secret_expiry_enabled boolean NOT NULL,
    secret_expiry_unit character varying(16) DEFAULT ''::character varying NOT NULL,
    secret_expiry_duration bigint DEFAULT 0 NOT NULL,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: notification_ledgers; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.notification_ledgers (
    id bigint NOT NULL,
    expires_at timestamp with time zone NOT NULL,
    secret_id character varying(36) NOT NULL,
    event character varying(40) NOT NULL,
    threshold bigint NOT NULL,
    recipient character varying(512) NOT NULL,
    channel character varying(16) NOT NULL,
    status character varying(16) NOT NULL,
    claim character varying(36) NOT NULL,
    lease_until timestamp with time zone NOT NULL,
    attempts bigint DEFAULT 0 NOT NULL,
    last_error character varying(500) DEFAULT ''::character varying NOT NULL,
    created_at timestamp with time zone NOT NULL,
    sent_at timestamp with time zone
);


--
-- Name: notification_ledgers_id_seq; Type: SEQUENCE; Schema: __SCHEMA__; Owner: -
--

CREATE SEQUENCE __SCHEMA__.notification_ledgers_id_seq
    START WITH 1
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1;


--
-- Name: notification_ledgers_id_seq; Type: SEQUENCE OWNED BY; Schema: __SCHEMA__; Owner: -
--

ALTER SEQUENCE __SCHEMA__.notification_ledgers_id_seq OWNED BY __SCHEMA__.notification_ledgers.id;


--
-- Name: notification_runs; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.notification_runs (
    id character varying(36) NOT NULL,
    host character varying(255) DEFAULT ''::character varying NOT NULL,
    started_at timestamp with time zone NOT NULL,
    finished_at timestamp with time zone,
    scanned bigint,
    decided bigint,
    retried bigint,
    sent bigint,
    failed bigint,
    obsolete bigint,
    sent_ui bigint,
    sent_email bigint,
    sent_webhook bigint,
    sent_log bigint,
    first_ledger_id bigint,
    last_ledger_id bigint,
    error character varying(500) DEFAULT ''::character varying NOT NULL
);


--
-- Name: notifications; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.notifications (
    ledger_id bigint NOT NULL,
    user_id character varying(36) NOT NULL,
    created_at timestamp with time zone NOT NULL,
    read_at timestamp with time zone
);


--
-- Name: settings; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.settings (
    key character varying(100) NOT NULL,
    value text NOT NULL
);


--
-- Name: signing_keys; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.signing_keys (
    id character varying(36) NOT NULL,
    domain_id character varying(36) NOT NULL,
    algorithm character varying(16) NOT NULL,
    private_key text NOT NULL,
    created_at timestamp with time zone
);


--
-- Name: users; Type: TABLE; Schema: __SCHEMA__; Owner: -
--

CREATE TABLE __SCHEMA__.users (
    id character varying(36) NOT NULL,
    email character varying(254) NOT NULL,
    name character varying(64) NOT NULL,
    password_hash text NOT NULL,
    role character varying(16) NOT NULL,
    disabled boolean DEFAULT false NOT NULL,
    password_changed_at timestamp with time zone,
    created_at timestamp with time zone,
    updated_at timestamp with time zone
);


--
-- Name: notification_ledgers id; Type: DEFAULT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notification_ledgers ALTER COLUMN id SET DEFAULT nextval('__SCHEMA__.notification_ledgers_id_seq'::regclass);


--
-- Data for Name: api_tokens; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.api_tokens VALUES ('901cfee0-8ccb-457f-8b7e-58a0b9839213', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'issued', 'Management API sign-in', false, '111ecee030c27ab433913594cc53a602d27b9047e8761445befb7d58da165687', 'M7EG', '2026-12-01 21:04:52.58774+00', '2026-12-01 22:04:52.58774+00', NULL, '2026-12-01 21:04:52.619933+00');


--
-- Data for Name: applications; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.applications VALUES ('d42821ba-d019-4f4c-9aba-a805358a2d51', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'Billing', '', 'service', '7ebfebd83da3e816a549f06860f62785', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 7200, false, '', false, '', 0, '2026-12-01 21:04:52.729915+00', '2026-12-01 21:04:52.729915+00');


--
-- Data for Name: audit_events; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.audit_events VALUES ('3d5ce090-3857-4fdc-b8f8-65a34996038c', '2026-12-01 21:04:52.593751+00', 'USER_LOGIN', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', '', '', '', '', 'SUCCESS', 'Management API token');
INSERT INTO __SCHEMA__.audit_events VALUES ('b4ab7f9a-e9ed-47b8-bff2-cb5bd9fbb0bc', '2026-12-01 21:04:52.631736+00', 'DOMAIN_CREATED', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', 'a653af08-ab01-4c59-bebf-3c3a06838310', '', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'Legacy', 'SUCCESS', '');
INSERT INTO __SCHEMA__.audit_events VALUES ('93d810d5-b690-4953-a79a-f4c23498d977', '2026-12-01 21:04:52.734028+00', 'APPLICATION_CREATED', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'd42821ba-d019-4f4c-9aba-a805358a2d51', 'd42821ba-d019-4f4c-9aba-a805358a2d51', 'Billing', 'SUCCESS', '');
INSERT INTO __SCHEMA__.audit_events VALUES ('8e5a8c50-7a0b-4878-ac75-b298e8621fda', '2026-12-01 21:04:52.734717+00', 'APPLICATION_CLIENT_SECRET_CREATED', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'd42821ba-d019-4f4c-9aba-a805358a2d51', '66c8817f-29f0-435e-948a-337ffe6caf70', 'Default', 'SUCCESS', '');
INSERT INTO __SCHEMA__.audit_events VALUES ('bf991813-9f42-44d1-8900-bec3ee9d4152', '2026-12-01 21:04:52.761985+00', 'DOMAIN_CLIENT_SECRET_SETTINGS_UPDATED', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', 'a653af08-ab01-4c59-bebf-3c3a06838310', '', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'Legacy', 'SUCCESS', 'no expiry → expires after 1 day');
INSERT INTO __SCHEMA__.audit_events VALUES ('c193048f-b927-41c5-be50-41cd24b8b7f3', '2026-12-01 21:04:52.877438+00', 'APPLICATION_CLIENT_SECRET_CREATED', '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', '127.0.0.1', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'd42821ba-d019-4f4c-9aba-a805358a2d51', 'e0a6816f-541e-4733-bcf3-ea4b6894d200', 'expiring', 'SUCCESS', '');
INSERT INTO __SCHEMA__.audit_events VALUES ('e2f8cae9-9c06-47a3-bcfe-f87d1b3f94ba', '2026-12-01 21:04:53.76583+00', 'USER_CREATED', '', 'cli', '', '', '', '3af5cc6f-747f-4e18-90ef-e6ab052c5df3', 'viewer@example.com', 'SUCCESS', 'role viewer, via command line');


--
-- Data for Name: client_secrets; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.client_secrets VALUES ('66c8817f-29f0-435e-948a-337ffe6caf70', 'd42821ba-d019-4f4c-9aba-a805358a2d51', 'Default', '1c6697a9bd704b7d9d661ee7b1831e93dcca19d8295d97f0f31ccad670525f32', 'FU2e', '2026-12-01 21:04:52.732669+00', NULL, NULL, NULL);
INSERT INTO __SCHEMA__.client_secrets VALUES ('e0a6816f-541e-4733-bcf3-ea4b6894d200', 'd42821ba-d019-4f4c-9aba-a805358a2d51', 'expiring', '790f301da0f188859376c97fdfdaa230538d475ed787f3869a06d649d71044a8', 'FTH8', '2026-12-01 21:04:52.876791+00', NULL, '2026-12-02 21:04:52.876791+00', NULL);


--
-- Data for Name: domain_owners; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.domain_owners VALUES ('a653af08-ab01-4c59-bebf-3c3a06838310', '821b15f7-4da6-436b-9eb2-52b4368e91b4');


--
-- Data for Name: domains; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.domains VALUES ('a653af08-ab01-4c59-bebf-3c3a06838310', 'legacy', 'Legacy', 'made by bcbf365', true, true, 'DAYS', 1, '2026-12-01 21:04:52.628415+00', '2026-12-01 21:04:52.757292+00');


--
-- Data for Name: notification_ledgers; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.notification_ledgers VALUES (1, '2026-12-02 21:04:52.876791+00', 'e0a6816f-541e-4733-bcf3-ea4b6894d200', 'CLIENT_SECRET_WILL_EXPIRE', 1, '821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ui', 'sent', 'd5401f08-11df-44a2-bb12-5a837c9f3a46', '2026-12-01 21:34:55.125962+00', 0, '', '2026-12-01 21:04:55.1456+00', '2026-12-01 21:04:55.1456+00');
INSERT INTO __SCHEMA__.notification_ledgers VALUES (2, '2026-12-02 21:04:52.876791+00', 'e0a6816f-541e-4733-bcf3-ea4b6894d200', 'CLIENT_SECRET_WILL_EXPIRE', 1, 'log', 'log', 'sent', 'd5401f08-11df-44a2-bb12-5a837c9f3a46', '2026-12-01 21:34:55.125962+00', 0, '', '2026-12-01 21:04:55.1456+00', '2026-12-01 21:04:55.1456+00');


--
-- Data for Name: notification_runs; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.notification_runs VALUES ('d5401f08-11df-44a2-bb12-5a837c9f3a46', 'vm', '2026-12-01 21:04:55.023568+00', '2026-12-01 21:04:55.204534+00', 1, 2, 0, 2, 0, 0, 1, 0, 0, 1, 1, 2, '');


--
-- Data for Name: notifications; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.notifications VALUES (1, '821b15f7-4da6-436b-9eb2-52b4368e91b4', '2026-12-01 21:04:55.1456+00', NULL);


--
-- Data for Name: settings; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.settings VALUES ('session.hashKey', 'I26BGTtObZWOCnfvgP3mDKqK+FqvE+Vnce4OhKfcqKvcvjG1xjKyVv5J5GqIGfDYMVVdv4WB6c/eg27P+k5NIQ==');
INSERT INTO __SCHEMA__.settings VALUES ('session.blockKey', 'wVBND+tCO9bE0B3B5MPGbs1YkDXffq1SOQ5wE84OcWQ=');


--
-- Data for Name: signing_keys; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.signing_keys VALUES ('afba36f6-e46f-44f5-8873-eb8beb635024', 'a653af08-ab01-4c59-bebf-3c3a06838310', 'ES256', 'MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg6Ujcw0uVf47hhtSOp86UdGKhIz9LVpnKdTmVrShnJLuhRANCAASVyDvXr2iseEgmW8W8as61q53xxeGE1/aMilqiOxasCmA1hII9NJuTestlMHJuA30VHuY2DCmXzVoHl0vdYNq2', '2026-12-01 21:04:52.629009+00');


--
-- Data for Name: users; Type: TABLE DATA; Schema: __SCHEMA__; Owner: -
--

INSERT INTO __SCHEMA__.users VALUES ('821b15f7-4da6-436b-9eb2-52b4368e91b4', 'ops@example.com', 'Administrator', '$argon2id$v=19$m=19456,t=2,p=1$IQfHJ4E7yaUHCgsKUax3ag$nj3+ytXv6YnwsosMYKr05kR6lePnqkxjVFiMndEYMmM', 'admin', false, '2026-12-01 21:04:52.456813+00', '2026-12-01 21:04:52.456947+00', '2026-12-01 21:04:52.456947+00');
INSERT INTO __SCHEMA__.users VALUES ('3af5cc6f-747f-4e18-90ef-e6ab052c5df3', 'viewer@example.com', 'Viewer', '$argon2id$v=19$m=19456,t=2,p=1$lkpOYDqTNu1ge1qRGnu1ZQ$TmTR1XAsmsbacQEPGUHmxgNe6Z2WuWyB4pvYpSoHwoo', 'viewer', false, '2026-12-01 21:04:53.756968+00', '2026-12-01 21:04:53.757093+00', '2026-12-01 21:04:53.757093+00');


--
-- Name: notification_ledgers_id_seq; Type: SEQUENCE SET; Schema: __SCHEMA__; Owner: -
--

SELECT pg_catalog.setval('__SCHEMA__.notification_ledgers_id_seq', 2, true);


--
-- Name: api_tokens api_tokens_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.api_tokens
    ADD CONSTRAINT api_tokens_pkey PRIMARY KEY (id);


--
-- Name: applications applications_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.applications
    ADD CONSTRAINT applications_pkey PRIMARY KEY (id);


--
-- Name: audit_events audit_events_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.audit_events
    ADD CONSTRAINT audit_events_pkey PRIMARY KEY (id);


--
-- Name: client_secrets client_secrets_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.client_secrets
    ADD CONSTRAINT client_secrets_pkey PRIMARY KEY (id);


--
-- Name: domain_owners domain_owners_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.domain_owners
    ADD CONSTRAINT domain_owners_pkey PRIMARY KEY (domain_id, user_id);


--
-- Name: domains domains_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.domains
    ADD CONSTRAINT domains_pkey PRIMARY KEY (id);


--
-- Name: notification_ledgers notification_ledgers_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notification_ledgers
    ADD CONSTRAINT notification_ledgers_pkey PRIMARY KEY (id);


--
-- Name: notification_runs notification_runs_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notification_runs
    ADD CONSTRAINT notification_runs_pkey PRIMARY KEY (id);


--
-- Name: notifications notifications_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notifications
    ADD CONSTRAINT notifications_pkey PRIMARY KEY (ledger_id);


--
-- Name: settings settings_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.settings
    ADD CONSTRAINT settings_pkey PRIMARY KEY (key);


--
-- Name: signing_keys signing_keys_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.signing_keys
    ADD CONSTRAINT signing_keys_pkey PRIMARY KEY (id);


--
-- Name: users users_pkey; Type: CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.users
    ADD CONSTRAINT users_pkey PRIMARY KEY (id);


--
-- Name: idx_api_tokens_digest; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_api_tokens_digest ON __SCHEMA__.api_tokens USING btree (digest);


--
-- Name: idx_api_tokens_kind; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_api_tokens_kind ON __SCHEMA__.api_tokens USING btree (kind);


--
-- Name: idx_api_tokens_user_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_api_tokens_user_id ON __SCHEMA__.api_tokens USING btree (user_id);


--
-- Name: idx_app_domain_name; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_app_domain_name ON __SCHEMA__.applications USING btree (domain_id, name);


--
-- Name: idx_applications_client_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_applications_client_id ON __SCHEMA__.applications USING btree (client_id);


--
-- Name: idx_audit_events_actor_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_audit_events_actor_id ON __SCHEMA__.audit_events USING btree (actor_id);


--
-- Name: idx_audit_events_application_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_audit_events_application_id ON __SCHEMA__.audit_events USING btree (application_id);


--
-- Name: idx_audit_events_created_at; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_audit_events_created_at ON __SCHEMA__.audit_events USING btree (created_at);


--
-- Name: idx_audit_events_domain_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_audit_events_domain_id ON __SCHEMA__.audit_events USING btree (domain_id);


--
-- Name: idx_audit_events_type; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_audit_events_type ON __SCHEMA__.audit_events USING btree (type);


--
-- Name: idx_client_secrets_digest; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_client_secrets_digest ON __SCHEMA__.client_secrets USING btree (digest);


--
-- Name: idx_client_secrets_expiry; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_client_secrets_expiry ON __SCHEMA__.client_secrets USING btree (expires_at, id);


--
-- Name: idx_domains_hr_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_domains_hr_id ON __SCHEMA__.domains USING btree (hrid);


--
-- Name: idx_domains_name; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_domains_name ON __SCHEMA__.domains USING btree (name);


--
-- Name: idx_ledger_claim; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_ledger_claim ON __SCHEMA__.notification_ledgers USING btree (claim, channel) WHERE ((status)::text = 'pending'::text);


--
-- Name: idx_ledger_key; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_ledger_key ON __SCHEMA__.notification_ledgers USING btree (expires_at, secret_id, event, threshold, recipient, channel);


--
-- Name: idx_ledger_lease; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_ledger_lease ON __SCHEMA__.notification_ledgers USING btree (lease_until) WHERE ((status)::text = 'pending'::text);


--
-- Name: idx_notification_inbox; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_notification_inbox ON __SCHEMA__.notifications USING btree (user_id, ledger_id);


--
-- Name: idx_notification_runs_started_at; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_notification_runs_started_at ON __SCHEMA__.notification_runs USING btree (started_at);


--
-- Name: idx_secret_app_description; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_secret_app_description ON __SCHEMA__.client_secrets USING btree (application_id, description);


--
-- Name: idx_signing_keys_domain_id; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE INDEX idx_signing_keys_domain_id ON __SCHEMA__.signing_keys USING btree (domain_id);


--
-- Name: idx_users_email; Type: INDEX; Schema: __SCHEMA__; Owner: -
--

CREATE UNIQUE INDEX idx_users_email ON __SCHEMA__.users USING btree (email);


--
-- Name: api_tokens fk_api_tokens_user; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.api_tokens
    ADD CONSTRAINT fk_api_tokens_user FOREIGN KEY (user_id) REFERENCES __SCHEMA__.users(id) ON DELETE CASCADE;


--
-- Name: applications fk_applications_domain; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.applications
    ADD CONSTRAINT fk_applications_domain FOREIGN KEY (domain_id) REFERENCES __SCHEMA__.domains(id) ON DELETE CASCADE;


--
-- Name: applications fk_applications_owner; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.applications
    ADD CONSTRAINT fk_applications_owner FOREIGN KEY (owner_id) REFERENCES __SCHEMA__.users(id) ON DELETE SET NULL;


--
-- Name: client_secrets fk_client_secrets_application; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.client_secrets
    ADD CONSTRAINT fk_client_secrets_application FOREIGN KEY (application_id) REFERENCES __SCHEMA__.applications(id) ON DELETE CASCADE;


--
-- Name: domain_owners fk_domain_owners_domain; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.domain_owners
    ADD CONSTRAINT fk_domain_owners_domain FOREIGN KEY (domain_id) REFERENCES __SCHEMA__.domains(id) ON DELETE CASCADE;


--
-- Name: domain_owners fk_domain_owners_user; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.domain_owners
    ADD CONSTRAINT fk_domain_owners_user FOREIGN KEY (user_id) REFERENCES __SCHEMA__.users(id) ON DELETE CASCADE;


--
-- Name: notification_ledgers fk_notification_ledgers_secret; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notification_ledgers
    ADD CONSTRAINT fk_notification_ledgers_secret FOREIGN KEY (expires_at, secret_id) REFERENCES __SCHEMA__.client_secrets(expires_at, id) ON DELETE CASCADE;


--
-- Name: notifications fk_notifications_ledger; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notifications
    ADD CONSTRAINT fk_notifications_ledger FOREIGN KEY (ledger_id) REFERENCES __SCHEMA__.notification_ledgers(id) ON DELETE CASCADE;


--
-- Name: notifications fk_notifications_user; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.notifications
    ADD CONSTRAINT fk_notifications_user FOREIGN KEY (user_id) REFERENCES __SCHEMA__.users(id) ON DELETE CASCADE;


--
-- Name: signing_keys fk_signing_keys_domain; Type: FK CONSTRAINT; Schema: __SCHEMA__; Owner: -
--

ALTER TABLE ONLY __SCHEMA__.signing_keys
    ADD CONSTRAINT fk_signing_keys_domain FOREIGN KEY (domain_id) REFERENCES __SCHEMA__.domains(id) ON DELETE CASCADE;


--
-- PostgreSQL database dump complete
--


