/*
 * params.c - the table of every configuration parameter: name, type, default,
 * bounds and the variable config_load() fills.  Defaults may refer to other
 * parameters with $name; config.c expands them after reading petrel.conf.
 * Adding a parameter: declare its var_ in params.h and add one row here,
 * keeping rows sorted by name (config_dump prints in table order).
 */
#include <limits.h>
#include <stddef.h>

#include "params.h"

char *var_alias_database;
char *var_alias_maps;
char *var_auth_listen;
char *var_auth_penalty_exceptions;
long var_auth_penalty_initial;
long var_auth_penalty_max;
long var_auth_penalty_window;
long var_auth_process_limit;
long var_auth_timeout;
char *var_auth_user;
long var_bounce_queue_lifetime;
char *var_config_directory;
char *var_daemon_directory;
char *var_home_mailbox;
char *var_inject_listen;
long var_inject_process_limit;
long var_inject_timeout;
char *var_inject_user;
char *var_local_listen;
long var_local_destination_concurrency_limit;
long var_local_process_limit;
long var_local_timeout;
char *var_maillog_file;
long var_maximal_backoff_time;
long var_maximal_queue_lifetime;
long var_hopcount_limit;
long var_message_size_limit;
long var_minimal_backoff_time;
char *var_mydestination;
char *var_mydomain;
char *var_myhostname;
char *var_mynetworks;
char *var_myorigin;
long var_pop3d_auth_failure_delay;
char *var_pop3d_auth_default_domain;
long var_pop3d_auth_failure_limit;
char *var_pop3d_login_user;
long var_pop3d_login_process_limit;
long var_pop3d_login_client_limit;
long var_pop3d_session_limit;
long var_pop3d_client_connection_count_limit;
long var_pop3d_client_connection_rate_limit;
char *var_pop3d_client_event_limit_exceptions;
long var_pop3d_max_userip_connections;
char *var_pop3d_listen;
int var_pop3d_plaintext_auth;
char *var_pop3d_plaintext_auth_networks;
char *var_pop3d_pop3s_listen;
long var_pop3d_process_limit;
long var_pop3d_starttls_timeout;
long var_pop3d_timeout;
char *var_pop3d_tls_cert_file;
char *var_pop3d_tls_key_file;
char *var_imapd_listen;
char *var_imapd_imaps_listen;
char *var_imapd_login_user;
long var_imapd_login_process_limit;
long var_imapd_login_client_limit;
long var_imapd_login_timeout;
long var_imapd_session_limit;
long var_imapd_client_connection_count_limit;
long var_imapd_client_connection_rate_limit;
char *var_imapd_client_event_limit_exceptions;
long var_imapd_max_userip_connections;
long var_imapd_auth_failure_delay;
long var_imapd_auth_failure_limit;
char *var_imapd_plaintext_auth_networks;
char *var_imapd_tls_cert_file;
char *var_imapd_tls_key_file;
long var_imapd_starttls_timeout;
long var_imapd_timeout;
long var_imapd_idle_keepalive;
long var_imapd_line_length_limit;
long var_imapd_append_limit;
char *var_imapd_auth_default_domain;
char *var_imapd_capability_maps;
int var_imapd_literal_minus;
char *var_qmgr_fifo;
char *var_qmgr_user;
long var_queue_run_delay;
char *var_queue_directory;
long var_queue_file_recycle_limit;
long var_queue_minfree;
long var_queue_minfree_inodes;
char *var_recipient_delimiter;
char *var_relay_domains;
char *var_remote_user;
long var_server_max_use;
long var_server_min_idle;
long var_stress_timeout;
long var_smtpd_greet_wait;
int var_smtpd_forbid_unauth_pipelining;
int var_seccomp;
char *var_smtpd_banner;
long var_smtpd_hard_error_limit;
long var_smtpd_line_length_limit;
char *var_smtpd_listen;
long var_smtpd_process_limit;
long var_smtpd_recipient_limit;
long var_smtpd_session_time_limit;
long var_smtpd_timeout;
char *var_smtpd_user;
long var_smtpd_auth_checker_count;
long var_smtpd_auth_failure_delay;
long var_smtpd_auth_failure_limit;
long var_smtpd_client_connection_count_limit;
long var_smtpd_client_connection_rate_limit;
char *var_smtpd_client_event_limit_exceptions;
long var_smtpd_client_message_rate_limit;
int var_disable_mime_output_conversion;
int var_disable_vrfy_command;
char *var_smtpd_etrn_networks;
int var_smtpd_expn_enable;
int var_smtpd_help_enable;
int var_smtpd_peername_lookup;
int var_smtpd_sasl_auth_enable_smtp;
char *var_smtpd_sender_login_maps;
long var_smtpd_session_message_limit;
char *var_smtpd_smtps_listen;
long var_smtpd_starttls_timeout;
char *var_smtpd_submission_listen;
int var_smtpd_tls_auth_only;
char *var_smtpd_tls_cert_file;
char *var_smtpd_tls_key_file;
char *var_spool_group;
long var_stale_temp_file_time;
int var_sync_directories;
char *var_user_password_maps;
char *var_virtual_alias_maps;
char *var_virtual_mailbox_base;
char *var_virtual_mailbox_domains;
char *var_virtual_mailbox_maps;
char *var_vmail_user;

char *var_bounce_notice_recipient;
long var_bounce_size_limit;
long var_default_destination_concurrency_limit;
long var_delay_warning_time;
long var_initial_destination_concurrency;
char *var_relayhost;
long var_smtp_connect_timeout;
long var_smtp_connection_cache_time_limit;
long var_smtp_data_done_timeout;
long var_smtp_data_init_timeout;
long var_smtp_data_xfer_timeout;
long var_smtp_destination_recipient_limit;
char *var_smtp_helo_name;
long var_smtp_helo_timeout;
char *var_smtp_listen;
long var_smtp_mail_timeout;
long var_smtp_mx_address_limit;
long var_smtp_mx_session_limit;
long var_smtp_process_limit;
long var_smtp_quit_timeout;
long var_smtp_rcpt_timeout;
char *var_smtp_tls_CAfile;
char *var_smtp_tls_policy_maps;
char *var_smtp_tls_security_level;
char *var_transport_maps;
char *var_dns_nameservers;
char *var_smtpd_dnsbl_sites;
long var_smtpd_dnsbl_threshold;
long var_smtpd_dnsbl_timeout;
long var_smtpd_dnsbl_whitelist_threshold;
int var_smtpd_greylist;
long var_smtpd_greylist_delay;
long var_smtpd_greylist_lifetime;
long var_smtpd_greylist_retry_window;

#define DAY (24L * 3600)

/* The defaults "$myhostname" and "$mydomain" are computed by config.c from
 * gethostname() when they are not set. */
const struct param params_table[] = {
	{ "alias_database", PARAM_STR, "hash:$config_directory/aliases", 0, 0, &var_alias_database },
	{ "alias_maps", PARAM_STR, "hash:$config_directory/aliases", 0, 0, &var_alias_maps },
	{ "auth_listen", PARAM_STR, "unix:$queue_directory/private/auth", 0, 0, &var_auth_listen },
	{ "auth_penalty_exceptions", PARAM_STR, "$mynetworks", 0, 0, &var_auth_penalty_exceptions },
	{ "auth_penalty_initial", PARAM_TIME, "2s", 1, 60, &var_auth_penalty_initial },
	{ "auth_penalty_max", PARAM_TIME, "15s", 1, 60, &var_auth_penalty_max },
	{ "auth_penalty_window", PARAM_TIME, "1h", 1, 100 * DAY, &var_auth_penalty_window },
	/* the old smtpd_auth_checker_count still sets the pool's size */
	{ "auth_process_limit", PARAM_INT, "$smtpd_auth_checker_count", 1, 1000, &var_auth_process_limit },
	{ "auth_timeout", PARAM_TIME, "30s", 1, 3600, &var_auth_timeout },
	{ "auth_user", PARAM_STR, "petrel-auth", 0, 0, &var_auth_user },
	{ "bounce_notice_recipient", PARAM_STR, "postmaster", 0, 0, &var_bounce_notice_recipient },
	{ "bounce_queue_lifetime", PARAM_TIME, "5d", 0, 100 * DAY, &var_bounce_queue_lifetime },
	{ "bounce_size_limit", PARAM_INT, "50000", 1, 100000000, &var_bounce_size_limit },
	{ "config_directory", PARAM_STR, "/etc/petrel", 0, 0, &var_config_directory },
	{ "daemon_directory", PARAM_STR, "/usr/local/sbin", 0, 0, &var_daemon_directory },
	{ "default_destination_concurrency_limit", PARAM_INT, "20", 1, 1000, &var_default_destination_concurrency_limit },
	{ "delay_warning_time", PARAM_TIME, "4h", 0, 100 * DAY, &var_delay_warning_time },
	{ "disable_mime_output_conversion", PARAM_BOOL, "no", 0, 0, &var_disable_mime_output_conversion },
	{ "disable_vrfy_command", PARAM_BOOL, "no", 0, 0, &var_disable_vrfy_command },
	{ "dns_nameservers", PARAM_STR, "", 0, 0, &var_dns_nameservers },
	{ "home_mailbox", PARAM_STR, "Maildir/", 0, 0, &var_home_mailbox },
	{ "hopcount_limit", PARAM_INT, "100", 1, 100000, &var_hopcount_limit },
	{ "imapd_append_limit", PARAM_INT, "$message_size_limit", 1024, LONG_MAX / 4, &var_imapd_append_limit },
	{ "imapd_auth_default_domain", PARAM_STR, "", 0, 0, &var_imapd_auth_default_domain },
	{ "imapd_auth_failure_delay", PARAM_TIME, "2s", 0, 60, &var_imapd_auth_failure_delay },
	{ "imapd_auth_failure_limit", PARAM_INT, "3", 1, 100, &var_imapd_auth_failure_limit },
	{ "imapd_capability_maps", PARAM_STR, "", 0, 0, &var_imapd_capability_maps },
	{ "imapd_client_connection_count_limit", PARAM_INT, "50", 0, 100000, &var_imapd_client_connection_count_limit },
	{ "imapd_client_connection_rate_limit", PARAM_INT, "0", 0, 10000000, &var_imapd_client_connection_rate_limit },
	{ "imapd_client_event_limit_exceptions", PARAM_STR, "$mynetworks", 0, 0, &var_imapd_client_event_limit_exceptions },
	{ "imapd_idle_keepalive", PARAM_TIME, "2m", 1, DAY, &var_imapd_idle_keepalive },
	{ "imapd_imaps_listen", PARAM_STR, "", 0, 0, &var_imapd_imaps_listen },
	{ "imapd_line_length_limit", PARAM_INT, "65536", 1024, 16777216, &var_imapd_line_length_limit },
	{ "imapd_listen", PARAM_STR, "0.0.0.0:143", 0, 0, &var_imapd_listen },
	{ "imapd_literal_minus", PARAM_BOOL, "no", 0, 0, &var_imapd_literal_minus },
	{ "imapd_login_client_limit", PARAM_INT, "1000", 1, 100000, &var_imapd_login_client_limit },
	{ "imapd_login_process_limit", PARAM_INT, "10", 1, 1000, &var_imapd_login_process_limit },
	{ "imapd_login_timeout", PARAM_TIME, "180s", 1, DAY, &var_imapd_login_timeout },
	{ "imapd_login_user", PARAM_STR, "petrel-login", 0, 0, &var_imapd_login_user },
	{ "imapd_max_userip_connections", PARAM_INT, "20", 1, 100000, &var_imapd_max_userip_connections },
	{ "imapd_plaintext_auth_networks", PARAM_STR, "", 0, 0, &var_imapd_plaintext_auth_networks },
	{ "imapd_session_limit", PARAM_INT, "1000", 1, 100000, &var_imapd_session_limit },
	{ "imapd_starttls_timeout", PARAM_TIME, "60s", 1, 3600, &var_imapd_starttls_timeout },
	{ "imapd_timeout", PARAM_TIME, "30m", 60, DAY, &var_imapd_timeout },
	{ "imapd_tls_cert_file", PARAM_STR, "", 0, 0, &var_imapd_tls_cert_file },
	{ "imapd_tls_key_file", PARAM_STR, "", 0, 0, &var_imapd_tls_key_file },
	{ "initial_destination_concurrency", PARAM_INT, "5", 1, 1000, &var_initial_destination_concurrency },
	{ "inject_listen", PARAM_STR, "unix:$queue_directory/private/inject", 0, 0, &var_inject_listen },
	{ "inject_process_limit", PARAM_INT, "150", 1, 10000, &var_inject_process_limit },
	{ "inject_timeout", PARAM_TIME, "300s", 1, DAY, &var_inject_timeout },
	{ "inject_user", PARAM_STR, "petrel-inject", 0, 0, &var_inject_user },
	{ "local_destination_concurrency_limit", PARAM_INT, "20", 1, 1000, &var_local_destination_concurrency_limit },
	{ "local_listen", PARAM_STR, "unix:$queue_directory/private/local", 0, 0, &var_local_listen },
	{ "local_process_limit", PARAM_INT, "20", 1, 1000, &var_local_process_limit },
	{ "local_timeout", PARAM_TIME, "600s", 1, DAY, &var_local_timeout },
	{ "maillog_file", PARAM_STR, "", 0, 0, &var_maillog_file },
	{ "maximal_backoff_time", PARAM_TIME, "4000s", 1, 100 * DAY, &var_maximal_backoff_time },
	{ "maximal_queue_lifetime", PARAM_TIME, "5d", 0, 100 * DAY, &var_maximal_queue_lifetime },
	{ "message_size_limit", PARAM_INT, "10240000", 1024, LONG_MAX / 4, &var_message_size_limit },
	{ "minimal_backoff_time", PARAM_TIME, "300s", 1, 100 * DAY, &var_minimal_backoff_time },
	{ "mydestination", PARAM_STR, "$myhostname, localhost.$mydomain, localhost", 0, 0, &var_mydestination },
	{ "mydomain", PARAM_STR, "", 0, 0, &var_mydomain },
	{ "myhostname", PARAM_STR, "", 0, 0, &var_myhostname },
	{ "mynetworks", PARAM_STR, "127.0.0.1/32 [::1]/128", 0, 0, &var_mynetworks },
	{ "myorigin", PARAM_STR, "$myhostname", 0, 0, &var_myorigin },
	{ "pop3d_auth_default_domain", PARAM_STR, "", 0, 0, &var_pop3d_auth_default_domain },
	{ "pop3d_auth_failure_delay", PARAM_TIME, "1s", 0, 60, &var_pop3d_auth_failure_delay },
	{ "pop3d_auth_failure_limit", PARAM_INT, "3", 1, 100, &var_pop3d_auth_failure_limit },
	{ "pop3d_client_connection_count_limit", PARAM_INT, "50", 0, 100000, &var_pop3d_client_connection_count_limit },
	{ "pop3d_client_connection_rate_limit", PARAM_INT, "0", 0, 10000000, &var_pop3d_client_connection_rate_limit },
	{ "pop3d_client_event_limit_exceptions", PARAM_STR, "$mynetworks", 0, 0, &var_pop3d_client_event_limit_exceptions },
	{ "pop3d_listen", PARAM_STR, "0.0.0.0:110", 0, 0, &var_pop3d_listen },
	{ "pop3d_login_client_limit", PARAM_INT, "1000", 1, 100000, &var_pop3d_login_client_limit },
	{ "pop3d_login_process_limit", PARAM_INT, "10", 1, 1000, &var_pop3d_login_process_limit },
	{ "pop3d_login_user", PARAM_STR, "petrel-login", 0, 0, &var_pop3d_login_user },
	{ "pop3d_max_userip_connections", PARAM_INT, "20", 1, 100000, &var_pop3d_max_userip_connections },
	{ "pop3d_plaintext_auth", PARAM_BOOL, "no", 0, 0, &var_pop3d_plaintext_auth },
	{ "pop3d_plaintext_auth_networks", PARAM_STR, "", 0, 0, &var_pop3d_plaintext_auth_networks },
	{ "pop3d_pop3s_listen", PARAM_STR, "", 0, 0, &var_pop3d_pop3s_listen },
	{ "pop3d_process_limit", PARAM_INT, "100", 1, 10000, &var_pop3d_process_limit },
	{ "pop3d_session_limit", PARAM_INT, "1000", 1, 100000, &var_pop3d_session_limit },
	{ "pop3d_starttls_timeout", PARAM_TIME, "60s", 1, 3600, &var_pop3d_starttls_timeout },
	{ "pop3d_timeout", PARAM_TIME, "600s", 1, DAY, &var_pop3d_timeout },
	{ "pop3d_tls_cert_file", PARAM_STR, "", 0, 0, &var_pop3d_tls_cert_file },
	{ "pop3d_tls_key_file", PARAM_STR, "", 0, 0, &var_pop3d_tls_key_file },
	{ "qmgr_fifo", PARAM_STR, "$queue_directory/public/qmgr", 0, 0, &var_qmgr_fifo },
	{ "qmgr_user", PARAM_STR, "petrel-queue", 0, 0, &var_qmgr_user },
	{ "queue_directory", PARAM_STR, "/var/spool/petrel", 0, 0, &var_queue_directory },
	{ "queue_file_recycle_limit", PARAM_INT, "10000", 0, 1000000, &var_queue_file_recycle_limit },
	{ "queue_minfree", PARAM_INT, "0", 0, LONG_MAX / 4, &var_queue_minfree },
	{ "queue_minfree_inodes", PARAM_INT, "1000", 0, LONG_MAX / 4, &var_queue_minfree_inodes },
	{ "queue_run_delay", PARAM_TIME, "300s", 1, DAY, &var_queue_run_delay },
	{ "recipient_delimiter", PARAM_STR, "+", 0, 0, &var_recipient_delimiter },
	{ "relay_domains", PARAM_STR, "", 0, 0, &var_relay_domains },
	{ "relayhost", PARAM_STR, "", 0, 0, &var_relayhost },
	{ "remote_user", PARAM_STR, "petrel-remote", 0, 0, &var_remote_user },
	{ "seccomp", PARAM_BOOL, "yes", 0, 0, &var_seccomp },
	{ "server_max_use", PARAM_INT, "100", 1, 1000000, &var_server_max_use },
	{ "server_min_idle", PARAM_INT, "2", 0, 1000, &var_server_min_idle },
	{ "smtp_connect_timeout", PARAM_TIME, "30s", 1, DAY, &var_smtp_connect_timeout },
	{ "smtp_connection_cache_time_limit", PARAM_TIME, "2s", 0, 3600, &var_smtp_connection_cache_time_limit },
	{ "smtp_data_done_timeout", PARAM_TIME, "600s", 1, DAY, &var_smtp_data_done_timeout },
	{ "smtp_data_init_timeout", PARAM_TIME, "120s", 1, DAY, &var_smtp_data_init_timeout },
	{ "smtp_data_xfer_timeout", PARAM_TIME, "180s", 1, DAY, &var_smtp_data_xfer_timeout },
	{ "smtp_destination_recipient_limit", PARAM_INT, "50", 1, 100000, &var_smtp_destination_recipient_limit },
	{ "smtp_helo_name", PARAM_STR, "$myhostname", 0, 0, &var_smtp_helo_name },
	{ "smtp_helo_timeout", PARAM_TIME, "300s", 1, DAY, &var_smtp_helo_timeout },
	{ "smtp_listen", PARAM_STR, "unix:$queue_directory/private/smtp", 0, 0, &var_smtp_listen },
	{ "smtp_mail_timeout", PARAM_TIME, "300s", 1, DAY, &var_smtp_mail_timeout },
	{ "smtp_mx_address_limit", PARAM_INT, "5", 1, 100, &var_smtp_mx_address_limit },
	{ "smtp_mx_session_limit", PARAM_INT, "2", 1, 100, &var_smtp_mx_session_limit },
	{ "smtp_process_limit", PARAM_INT, "100", 1, 10000, &var_smtp_process_limit },
	{ "smtp_quit_timeout", PARAM_TIME, "300s", 1, DAY, &var_smtp_quit_timeout },
	{ "smtp_rcpt_timeout", PARAM_TIME, "300s", 1, DAY, &var_smtp_rcpt_timeout },
	{ "smtp_tls_CAfile", PARAM_STR, "", 0, 0, &var_smtp_tls_CAfile },
	{ "smtp_tls_policy_maps", PARAM_STR, "", 0, 0, &var_smtp_tls_policy_maps },
	{ "smtp_tls_security_level", PARAM_STR, "may", 0, 0, &var_smtp_tls_security_level },
	{ "smtpd_auth_checker_count", PARAM_INT, "4", 1, 1000, &var_smtpd_auth_checker_count },
	{ "smtpd_auth_failure_delay", PARAM_TIME, "1s", 0, 60, &var_smtpd_auth_failure_delay },
	{ "smtpd_auth_failure_limit", PARAM_INT, "3", 1, 1000, &var_smtpd_auth_failure_limit },
	{ "smtpd_banner", PARAM_STR, "$myhostname ESMTP Petrel", 0, 0, &var_smtpd_banner },
	{ "smtpd_client_connection_count_limit", PARAM_INT, "50", 0, 100000, &var_smtpd_client_connection_count_limit },
	{ "smtpd_client_connection_rate_limit", PARAM_INT, "0", 0, 10000000, &var_smtpd_client_connection_rate_limit },
	{ "smtpd_client_event_limit_exceptions", PARAM_STR, "$mynetworks", 0, 0, &var_smtpd_client_event_limit_exceptions },
	{ "smtpd_client_message_rate_limit", PARAM_INT, "0", 0, 10000000, &var_smtpd_client_message_rate_limit },
	{ "smtpd_dnsbl_sites", PARAM_STR, "", 0, 0, &var_smtpd_dnsbl_sites },
	{ "smtpd_dnsbl_threshold", PARAM_INT, "1", 1, 100000, &var_smtpd_dnsbl_threshold },
	{ "smtpd_dnsbl_timeout", PARAM_TIME, "10s", 1, 60, &var_smtpd_dnsbl_timeout },
	{ "smtpd_dnsbl_whitelist_threshold", PARAM_INT, "0", -100000, 100000, &var_smtpd_dnsbl_whitelist_threshold },
	{ "smtpd_etrn_networks", PARAM_STR, "$mynetworks", 0, 0, &var_smtpd_etrn_networks },
	{ "smtpd_expn_enable", PARAM_BOOL, "no", 0, 0, &var_smtpd_expn_enable },
	{ "smtpd_forbid_unauth_pipelining", PARAM_BOOL, "no", 0, 0, &var_smtpd_forbid_unauth_pipelining },
	{ "smtpd_greet_wait", PARAM_TIME, "0s", 0, 60, &var_smtpd_greet_wait },
	{ "smtpd_greylist", PARAM_BOOL, "no", 0, 0, &var_smtpd_greylist },
	{ "smtpd_greylist_delay", PARAM_TIME, "5m", 0, DAY, &var_smtpd_greylist_delay },
	{ "smtpd_greylist_lifetime", PARAM_TIME, "30d", 1, 365 * DAY, &var_smtpd_greylist_lifetime },
	{ "smtpd_greylist_retry_window", PARAM_TIME, "1d", 1, 30 * DAY, &var_smtpd_greylist_retry_window },
	{ "smtpd_hard_error_limit", PARAM_INT, "20", 1, 1000, &var_smtpd_hard_error_limit },
	{ "smtpd_help_enable", PARAM_BOOL, "yes", 0, 0, &var_smtpd_help_enable },
	{ "smtpd_line_length_limit", PARAM_INT, "2048", 512, 65536, &var_smtpd_line_length_limit },
	{ "smtpd_listen", PARAM_STR, "0.0.0.0:25", 0, 0, &var_smtpd_listen },
	{ "smtpd_peername_lookup", PARAM_BOOL, "yes", 0, 0, &var_smtpd_peername_lookup },
	{ "smtpd_process_limit", PARAM_INT, "100", 1, 10000, &var_smtpd_process_limit },
	{ "smtpd_recipient_limit", PARAM_INT, "1000", 1, 100000, &var_smtpd_recipient_limit },
	{ "smtpd_sasl_auth_enable_smtp", PARAM_BOOL, "no", 0, 0, &var_smtpd_sasl_auth_enable_smtp },
	{ "smtpd_sender_login_maps", PARAM_STR, "", 0, 0, &var_smtpd_sender_login_maps },
	{ "smtpd_session_message_limit", PARAM_INT, "1000", 0, 10000000, &var_smtpd_session_message_limit },
	{ "smtpd_session_time_limit", PARAM_TIME, "3600s", 1, DAY, &var_smtpd_session_time_limit },
	{ "smtpd_smtps_listen", PARAM_STR, "", 0, 0, &var_smtpd_smtps_listen },
	{ "smtpd_starttls_timeout", PARAM_TIME, "60s", 1, 3600, &var_smtpd_starttls_timeout },
	{ "smtpd_submission_listen", PARAM_STR, "", 0, 0, &var_smtpd_submission_listen },
	{ "smtpd_timeout", PARAM_TIME, "300s", 1, DAY, &var_smtpd_timeout },
	{ "smtpd_tls_auth_only", PARAM_BOOL, "yes", 0, 0, &var_smtpd_tls_auth_only },
	{ "smtpd_tls_cert_file", PARAM_STR, "", 0, 0, &var_smtpd_tls_cert_file },
	{ "smtpd_tls_key_file", PARAM_STR, "", 0, 0, &var_smtpd_tls_key_file },
	{ "smtpd_user", PARAM_STR, "petrel-smtpd", 0, 0, &var_smtpd_user },
	{ "spool_group", PARAM_STR, "petrel-spool", 0, 0, &var_spool_group },
	{ "stale_temp_file_time", PARAM_TIME, "3600s", 1, 100 * DAY, &var_stale_temp_file_time },
	{ "stress_timeout", PARAM_TIME, "10s", 1, DAY, &var_stress_timeout },
	{ "sync_directories", PARAM_BOOL, "no", 0, 0, &var_sync_directories },
	{ "transport_maps", PARAM_STR, "", 0, 0, &var_transport_maps },
	{ "user_password_maps", PARAM_STR, "hash:$config_directory/passwd", 0, 0, &var_user_password_maps },
	{ "virtual_alias_maps", PARAM_STR, "", 0, 0, &var_virtual_alias_maps },
	{ "virtual_mailbox_base", PARAM_STR, "/var/mail/vhosts", 0, 0, &var_virtual_mailbox_base },
	{ "virtual_mailbox_domains", PARAM_STR, "", 0, 0, &var_virtual_mailbox_domains },
	{ "virtual_mailbox_maps", PARAM_STR, "", 0, 0, &var_virtual_mailbox_maps },
	{ "vmail_user", PARAM_STR, "petrel-vmail", 0, 0, &var_vmail_user },
};

const size_t params_count = sizeof(params_table) / sizeof(params_table[0]);
