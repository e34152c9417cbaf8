/*
 * params.h - every configuration parameter's typed variable.  The table that
 * gives names, defaults and bounds is params.c; config.c fills these.
 * Names follow Postfix where an equivalent exists.
 */
#ifndef PETREL_PARAMS_H
#define PETREL_PARAMS_H

#include "config.h"

extern const struct param params_table[];
extern const size_t params_count;

/* locations */
extern char *var_config_directory;
extern char *var_queue_directory;
extern char *var_daemon_directory;	/* where petrel-* programs live */
extern int var_sync_directories;
extern char *var_maillog_file;	/* "" = syslog only */	/* also fsync directories after renames */
/* identity and address classes */
extern char *var_myhostname;
extern char *var_mydomain;
extern char *var_myorigin;
extern char *var_mydestination;
extern char *var_mynetworks;
extern char *var_relay_domains;
extern char *var_virtual_mailbox_domains;
extern char *var_virtual_mailbox_maps;
extern char *var_virtual_mailbox_base;
extern char *var_virtual_alias_maps;
extern char *var_alias_maps;
extern char *var_alias_database;
extern char *var_user_password_maps;
extern char *var_home_mailbox;
extern char *var_recipient_delimiter;
/* users */
extern char *var_smtpd_user;
extern char *var_inject_user;
extern char *var_qmgr_user;
extern char *var_remote_user;
extern char *var_vmail_user;
extern char *var_spool_group;
/* the password service petrel-auth (local/auth_*.c) */
extern char *var_auth_listen;
extern char *var_auth_penalty_exceptions;
extern long var_auth_penalty_initial;
extern long var_auth_penalty_max;
extern long var_auth_penalty_window;
extern long var_auth_process_limit;
extern long var_auth_timeout;
extern char *var_auth_user;
extern char *var_imapd_login_user;
/* server skeleton */
extern long var_server_min_idle;
extern long var_stress_timeout;
extern long var_smtpd_greet_wait;
/* DNSBL/DNSWL screening and greylisting on port 25 (smtpd/dnsbl.c,
 * smtpd/greylist.c) */
extern char *var_dns_nameservers;	/* "" = /etc/resolv.conf */
extern char *var_smtpd_dnsbl_sites;
extern long var_smtpd_dnsbl_threshold;
extern long var_smtpd_dnsbl_timeout;
extern long var_smtpd_dnsbl_whitelist_threshold;
extern int var_smtpd_greylist;
extern long var_smtpd_greylist_delay;
extern long var_smtpd_greylist_lifetime;
extern long var_smtpd_greylist_retry_window;
extern int var_smtpd_forbid_unauth_pipelining;
extern int var_seccomp;
extern long var_server_max_use;
/* smtpd */
extern char *var_smtpd_listen;
extern char *var_smtpd_banner;
extern long var_smtpd_timeout;
extern long var_smtpd_session_time_limit;
extern long var_smtpd_recipient_limit;
extern long var_smtpd_hard_error_limit;
extern long var_smtpd_line_length_limit;
extern long var_smtpd_process_limit;
extern long var_hopcount_limit;
extern long var_message_size_limit;
/* smtpd: submission, TLS, AUTH, per-client limits (issue 4) */
extern long var_smtpd_auth_checker_count;	/* old name: auth_process_limit */
extern long var_smtpd_auth_failure_delay;
extern long var_smtpd_auth_failure_limit;
extern long var_smtpd_client_connection_count_limit;
extern long var_smtpd_client_connection_rate_limit;
extern char *var_smtpd_client_event_limit_exceptions;
extern long var_smtpd_client_message_rate_limit;
extern int var_smtpd_sasl_auth_enable_smtp;
extern char *var_smtpd_sender_login_maps;
extern long var_smtpd_session_message_limit;
extern char *var_smtpd_smtps_listen;
extern long var_smtpd_starttls_timeout;
extern char *var_smtpd_submission_listen;
extern int var_smtpd_tls_auth_only;
extern char *var_smtpd_tls_cert_file;
extern char *var_smtpd_tls_key_file;
/* smtpd: ETRN, VRFY/EXPN/HELP switches (issue 4) */
extern int var_disable_mime_output_conversion;
extern int var_disable_vrfy_command;
extern char *var_smtpd_etrn_networks;
extern int var_smtpd_expn_enable;
extern int var_smtpd_help_enable;
extern int var_smtpd_peername_lookup;
/* injection, queue manager, local delivery */
extern char *var_inject_listen;
extern long var_inject_process_limit;
extern long var_inject_timeout;
extern char *var_qmgr_fifo;
extern char *var_local_listen;
extern long var_local_process_limit;
extern long var_local_destination_concurrency_limit;
extern long var_local_timeout;
extern long var_minimal_backoff_time;
extern long var_maximal_backoff_time;
extern long var_queue_run_delay;
extern long var_maximal_queue_lifetime;
extern long var_bounce_queue_lifetime;
extern long var_stale_temp_file_time;
extern long var_queue_file_recycle_limit;
extern long var_queue_minfree;		/* bytes; see diskspace.h */
extern long var_queue_minfree_inodes;
/* remote delivery, scheduling, bounces (issue 3) */
extern char *var_bounce_notice_recipient;
extern long var_bounce_size_limit;
extern long var_default_destination_concurrency_limit;
extern long var_delay_warning_time;
extern long var_initial_destination_concurrency;
extern char *var_relayhost;
extern long var_smtp_connect_timeout;
extern long var_smtp_connection_cache_time_limit;
extern long var_smtp_data_done_timeout;
extern long var_smtp_data_init_timeout;
extern long var_smtp_data_xfer_timeout;
extern long var_smtp_destination_recipient_limit;
extern char *var_smtp_helo_name;
extern long var_smtp_helo_timeout;
extern char *var_smtp_listen;
extern long var_smtp_mail_timeout;
extern long var_smtp_mx_address_limit;
extern long var_smtp_mx_session_limit;
extern long var_smtp_process_limit;
extern long var_smtp_quit_timeout;
extern long var_smtp_rcpt_timeout;
extern char *var_smtp_tls_CAfile;
extern char *var_smtp_tls_policy_maps;
extern char *var_smtp_tls_security_level;
extern char *var_transport_maps;
/* pop3d */
extern long var_pop3d_auth_failure_delay;
extern char *var_pop3d_auth_default_domain;
extern long var_pop3d_auth_failure_limit;
extern char *var_pop3d_login_user;
extern long var_pop3d_login_process_limit;
extern long var_pop3d_login_client_limit;
extern long var_pop3d_session_limit;
extern long var_pop3d_client_connection_count_limit;
extern long var_pop3d_client_connection_rate_limit;
extern char *var_pop3d_client_event_limit_exceptions;
extern long var_pop3d_max_userip_connections;
extern char *var_pop3d_listen;
extern long var_pop3d_timeout;
extern long var_pop3d_process_limit;	/* obsolete: ignored */
extern int var_pop3d_plaintext_auth;
extern char *var_pop3d_plaintext_auth_networks;
extern char *var_pop3d_pop3s_listen;
extern long var_pop3d_starttls_timeout;
extern char *var_pop3d_tls_cert_file;
extern char *var_pop3d_tls_key_file;
/* imapd (issue 12) */
extern char *var_imapd_listen;
extern char *var_imapd_imaps_listen;
extern long var_imapd_login_process_limit;
extern long var_imapd_login_client_limit;
extern long var_imapd_login_timeout;
extern long var_imapd_session_limit;
extern long var_imapd_client_connection_count_limit;
extern long var_imapd_client_connection_rate_limit;
extern char *var_imapd_client_event_limit_exceptions;
extern long var_imapd_max_userip_connections;
extern long var_imapd_auth_failure_delay;
extern long var_imapd_auth_failure_limit;
extern char *var_imapd_plaintext_auth_networks;
extern char *var_imapd_tls_cert_file;
extern char *var_imapd_tls_key_file;
extern long var_imapd_starttls_timeout;
extern long var_imapd_timeout;
extern long var_imapd_idle_keepalive;
extern long var_imapd_line_length_limit;
extern long var_imapd_append_limit;
extern char *var_imapd_auth_default_domain;
extern char *var_imapd_capability_maps;
extern int var_imapd_literal_minus;

#endif
