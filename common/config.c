/*
 * config.c - read petrel.conf into the typed parameter table (params.c).
 *
 * Public: config_load, config_load_text, config_set, config_dump,
 * config_get, config_raw, config_file, config_list, config_list_free.
 * Format: "name = value"; blank lines and lines starting with '#' are
 * ignored; a line starting with white space continues the previous value
 * (joined with one blank); a later setting of the same name wins.  Values
 * may refer to other parameters as $name or ${name} ("$$" is a literal $),
 * expanded recursively up to CFG_DEPTH levels and CFG_VALUE_MAX bytes.
 * Precedence: config_set (-o) over the file over the table's default.
 * Returns 0, or -1 with "file:line: reason" in *errstr_r (a static buffer
 * valid until the next call); on failure the previous configuration and all
 * var_* stay as they were.  A successful reload frees the previous strings,
 * so callers must not keep var_* string pointers across config_load().
 * The line parser lives in config_parse.c (shared state: config_int.h).
 * Security: the file is trusted (root-owned) but still bounded: file size,
 * line and value length and expansion depth are limited.
 */
#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "alloc.h"
#include "buf.h"
#include "config.h"
#include "params.h"
#include "strutil.h"

#define CFG_DEFAULT_PATH "/etc/petrel/petrel.conf"

#include "config_int.h"

static struct cfg_state cur;	/* the live configuration */
static int cfg_loaded;
static char cfg_errbuf[1024];
static char cfg_path[1024] = CFG_DEFAULT_PATH;

/* Format an error message into the static buffer; returns -1. */
int
config_int_err(const char **errstr_r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cfg_errbuf, sizeof(cfg_errbuf), fmt, ap);
	va_end(ap);
	if (errstr_r != NULL)
		*errstr_r = cfg_errbuf;
	return -1;
}

/* Table index of a counted parameter name, or -1. */
int
config_int_index(const char *name, size_t len)
{
	for (size_t i = 0; i < params_count; i++)
		if (strlen(params_table[i].name) == len &&
		    memcmp(params_table[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

/* Allocate the per-parameter arrays of a state. */
static void
cfg_state_init(struct cfg_state *st)
{
	st->file_raw = xcalloc(params_count, sizeof(char *));
	st->file_line = xcalloc(params_count, sizeof(int));
	st->set_raw = xcalloc(params_count, sizeof(char *));
	st->dyn_default = xcalloc(params_count, sizeof(char *));
	st->expanded = xcalloc(params_count, sizeof(char *));
	st->path = NULL;
}

/* Free an array of params_count strings and NULL it. */
static void
cfg_strv_free(char ***vp)
{
	if (*vp == NULL)
		return;
	for (size_t i = 0; i < params_count; i++)
		free((*vp)[i]);
	free(*vp);
	*vp = NULL;
}

/* Free everything a state holds. */
static void
cfg_state_free(struct cfg_state *st)
{
	cfg_strv_free(&st->file_raw);
	cfg_strv_free(&st->set_raw);
	cfg_strv_free(&st->dyn_default);
	cfg_strv_free(&st->expanded);
	free(st->file_line);
	st->file_line = NULL;
	free(st->path);
	st->path = NULL;
}

/* Make sure the live state exists (before the first load). */
static void
cfg_cur_init(void)
{
	if (cur.file_raw == NULL)
		cfg_state_init(&cur);
}

/* The default raw value of parameter i. */
static const char *
cfg_default_raw(const struct cfg_state *st, size_t i)
{
	return st->dyn_default[i] != NULL ? st->dyn_default[i] :
	    params_table[i].defval;
}

/* The effective raw value of parameter i. */
static const char *
cfg_effective_raw(const struct cfg_state *st, size_t i)
{
	if (st->set_raw[i] != NULL)
		return st->set_raw[i];
	if (st->file_raw[i] != NULL)
		return st->file_raw[i];
	return cfg_default_raw(st, i);
}

/* Describe where parameter i got its value, for error messages. */
static const char *
cfg_where(const struct cfg_state *st, size_t i, char *dst, size_t dstsize)
{
	if (st->set_raw[i] != NULL)
		snprintf(dst, dstsize, "-o %s", params_table[i].name);
	else if (st->file_raw[i] != NULL)
		snprintf(dst, dstsize, "%s:%d", st->path ? st->path : "-",
		    st->file_line[i]);
	else
		snprintf(dst, dstsize, "default for %s", params_table[i].name);
	return dst;
}

static int cfg_expand(const struct cfg_state *, size_t, size_t, struct buf *,
    int, const char **);

/* Expand one "$name"/"${name}" reference at p; sets *used_r.  Errors
 * are blamed on parameter i (the innermost one set by file or -o). */
static int
cfg_expand_ref(const struct cfg_state *st, size_t i, const char *p,
    size_t *used_r, struct buf *out, int depth, const char **errstr_r)
{
	const char *name = p + 1, *end;
	char where[300];
	int j;

	if (*name == '{') {
		name++;
		end = strchr(name, '}');
		if (end == NULL)
			return config_int_err(errstr_r, "%s: syntax error: missing '}'"
			    " after '${'", cfg_where(st, i, where, sizeof(where)));
		*used_r = (size_t)(end - p) + 1;
	} else {
		for (end = name; *end == '_' || (*end >= 'a' && *end <= 'z') ||
		    (*end >= 'A' && *end <= 'Z') || (*end >= '0' && *end <= '9');
		    end++)
			;
		*used_r = (size_t)(end - p);
	}
	j = config_int_index(name, (size_t)(end - name));
	if (j < 0)
		return config_int_err(errstr_r, "%s: unknown parameter $%.*s",
		    cfg_where(st, i, where, sizeof(where)),
		    (int)((end - name) > 64 ? 64 : end - name), name);
	return cfg_expand(st, (size_t)j, i, out, depth + 1, errstr_r);
}

/* Append the expanded value of parameter i to out; errors name blame. */
static int
cfg_expand(const struct cfg_state *st, size_t i, size_t blame,
    struct buf *out, int depth, const char **errstr_r)
{
	const char *p = cfg_effective_raw(st, i);
	char where[300];
	size_t used = 0;

	if (st->set_raw[i] != NULL || st->file_raw[i] != NULL)
		blame = i;
	if (depth > CFG_DEPTH)
		return config_int_err(errstr_r, "%s: parameter expansion nested too "
		    "deeply (loop?) at $%s", cfg_where(st, blame, where,
		    sizeof(where)), params_table[i].name);
	while (*p != '\0') {
		int rc = 0;
		int is_ref = p[0] == '$' && (p[1] == '{' || p[1] == '_' ||
		    (p[1] >= 'a' && p[1] <= 'z') || (p[1] >= 'A' && p[1] <= 'Z'));
		if (p[0] == '$' && p[1] == '$') {
			rc = buf_append_char(out, '$');
			used = 2;
		} else if (is_ref) {
			if (cfg_expand_ref(st, blame, p, &used, out, depth,
			    errstr_r) < 0)
				return -1;
		} else {
			rc = buf_append_char(out, *p);
			used = 1;
		}
		if (rc < 0)
			return config_int_err(errstr_r, "%s: value of %s too long after"
			    " expansion", cfg_where(st, blame, where,
			    sizeof(where)), params_table[blame].name);
		p += used;
	}
	return 0;
}

/* Parse a time value with an optional s/m/h/d/w suffix, in seconds. */
static int
cfg_parse_time(const char *v, long min, long max, long *val_r)
{
	size_t len = strlen(v);
	long mult = 1, n;

	if (len > 0) {
		switch (v[len - 1]) {
		case 's': mult = 1; len--; break;
		case 'm': mult = 60; len--; break;
		case 'h': mult = 3600; len--; break;
		case 'd': mult = 86400; len--; break;
		case 'w': mult = 7 * 86400; len--; break;
		default: break;
		}
	}
	if (str_to_long(v, len, 0, LONG_MAX / mult, &n) < 0)
		return -1;
	n *= mult;
	if (n < min || n > max) {
		errno = ERANGE;
		return -1;
	}
	*val_r = n;
	return 0;
}

/* Parse a boolean: yes/no/true/false, any case. */
static int
cfg_parse_bool(const char *v, int *val_r)
{
	size_t len = strlen(v);

	if (str_casecmp_n(v, len, "yes") == 0 ||
	    str_casecmp_n(v, len, "true") == 0)
		*val_r = 1;
	else if (str_casecmp_n(v, len, "no") == 0 ||
	    str_casecmp_n(v, len, "false") == 0)
		*val_r = 0;
	else
		return -1;
	return 0;
}

/* Check that expanded value v suits parameter i's type; fill l_r or b_r. */
static int
cfg_type(const struct cfg_state *st, size_t i, const char *v, long *l_r,
    int *b_r, const char **errstr_r)
{
	const struct param *pa = &params_table[i];
	char where[300], shown[80];
	int rc = 0;

	switch (pa->type) {
	case PARAM_STR:
		return 0;
	case PARAM_INT:
		rc = str_to_long(v, strlen(v), LONG_MIN, LONG_MAX, l_r);
		if (rc == 0 && (*l_r < pa->min || *l_r > pa->max)) {
			errno = ERANGE;
			rc = -1;
		}
		break;
	case PARAM_TIME:
		rc = cfg_parse_time(v, pa->min, pa->max, l_r);
		break;
	case PARAM_BOOL:
		if (cfg_parse_bool(v, b_r) < 0)
			return config_int_err(errstr_r, "%s: bad boolean value '%s' "
			    "for parameter %s (use yes or no)", cfg_where(st, i,
			    where, sizeof(where)), log_sanitize(shown,
			    sizeof(shown), v, strlen(v)), pa->name);
		return 0;
	}
	if (rc == 0)
		return 0;
	cfg_where(st, i, where, sizeof(where));
	log_sanitize(shown, sizeof(shown), v, strlen(v));
	if (errno == ERANGE)
		return config_int_err(errstr_r, "%s: value '%s' for parameter %s out "
		    "of range (%ld..%ld%s)", where, shown, pa->name, pa->min,
		    pa->max, pa->type == PARAM_TIME ? " seconds" : "");
	return config_int_err(errstr_r, "%s: bad %s value '%s' for parameter %s",
	    where, pa->type == PARAM_TIME ? "time" : "numerical", shown,
	    pa->name);
}

/* Copy an expanded value for use as a raw one: '$' becomes "$$". */
static char *
cfg_escape(const char *v)
{
	struct buf *b = buf_new(strlen(v) + 8, 0);
	char *s;

	for (; *v != '\0'; v++)
		if ((*v == '$' && buf_append_char(b, '$') < 0) ||
		    buf_append_char(b, *v) < 0)
			log_panic("cfg_escape: buffer limit");
	s = xmemdup(buf_cstr(b), b->len + 1);
	buf_free(&b);
	return s;
}

/* Compute the myhostname and mydomain defaults from the host's name. */
static int
cfg_host_defaults(struct cfg_state *st, const char **errstr_r)
{
	char host[256];
	const char *dot;
	struct buf *b;
	int ih = config_int_index("myhostname", 10), id = config_int_index("mydomain", 8);

	if (ih < 0 || id < 0)
		return 0;
	if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
		snprintf(host, sizeof(host), "localhost");
	host[sizeof(host) - 1] = '\0';
	free(st->dyn_default[ih]);
	st->dyn_default[ih] = xstrdup(host);
	b = buf_new(256, CFG_VALUE_MAX);
	if (cfg_expand(st, (size_t)ih, (size_t)ih, b, 0, errstr_r) < 0) {
		buf_free(&b);
		return -1;
	}
	dot = strchr(buf_cstr(b), '.');
	free(st->dyn_default[id]);
	st->dyn_default[id] = cfg_escape(dot != NULL && strchr(dot + 1, '.') ?
	    dot + 1 : "localdomain");
	buf_free(&b);
	return 0;
}

/* Expand and type every parameter of st; on success replace st->expanded. */
static int
cfg_finalize(struct cfg_state *st, long *lv, int *bv, const char **errstr_r)
{
	char **exp;
	struct buf *b;
	int rc = 0;

	if (cfg_host_defaults(st, errstr_r) < 0)
		return -1;
	exp = xcalloc(params_count, sizeof(char *));
	b = buf_new(256, CFG_VALUE_MAX);
	for (size_t i = 0; i < params_count && rc == 0; i++) {
		buf_reset(b);
		rc = cfg_expand(st, i, i, b, 0, errstr_r);
		if (rc == 0)
			rc = cfg_type(st, i, buf_cstr(b), &lv[i], &bv[i],
			    errstr_r);
		if (rc == 0)
			exp[i] = xmemdup(b->data, b->len + 1);
	}
	buf_free(&b);
	if (rc < 0) {
		cfg_strv_free(&exp);
		return -1;
	}
	cfg_strv_free(&st->expanded);
	st->expanded = exp;
	return 0;
}

/* Store the typed values into the var_* variables. */
static void
cfg_commit_vars(const struct cfg_state *st, const long *lv, const int *bv)
{
	for (size_t i = 0; i < params_count; i++) {
		void *var = params_table[i].var;

		if (var == NULL)
			continue;
		switch (params_table[i].type) {
		case PARAM_STR:
			*(char **)var = st->expanded[i];
			break;
		case PARAM_INT:
		case PARAM_TIME:
			*(long *)var = lv[i];
			break;
		case PARAM_BOOL:
			*(int *)var = bv[i];
			break;
		}
	}
}

/* Finalize st and, on success, make it the live configuration. */
static int
cfg_activate(struct cfg_state *st, const char **errstr_r)
{
	long *lv = xcalloc(params_count, sizeof(long));
	int *bv = xcalloc(params_count, sizeof(int));
	int rc = cfg_finalize(st, lv, bv, errstr_r);

	if (rc == 0) {
		cfg_commit_vars(st, lv, bv);
		if (st != &cur) {
			cfg_state_free(&cur);
			cur = *st;
		}
		cfg_loaded = 1;
	}
	free(lv);
	free(bv);
	return rc;
}

/* Load petrel.conf (path, else $PETREL_CONF, else the default path). */
int
config_load(const char *path, const char **errstr_r)
{
	struct buf *text;
	int rc, optional = 0;

	if (path == NULL || *path == '\0')
		path = getenv("PETREL_CONF");
	if (path == NULL || *path == '\0') {
		path = CFG_DEFAULT_PATH;
		optional = 1;
	}
	snprintf(cfg_path, sizeof(cfg_path), "%s", path);
	if (config_int_read_file(path, &text, errstr_r) < 0) {
		if (!(optional && errno == ENOENT))
			return -1;
		text = buf_new(1, 1);
	}
	rc = config_load_text(path, text->data, text->len, errstr_r);
	buf_free(&text);
	return rc;
}

/* Parse configuration text from memory and make it live. */
int
config_load_text(const char *name, const char *p, size_t len,
    const char **errstr_r)
{
	struct cfg_state st;

	cfg_cur_init();
	cfg_state_init(&st);
	st.path = xstrdup(name);
	for (size_t i = 0; i < params_count; i++)
		if (cur.set_raw[i] != NULL)
			st.set_raw[i] = xstrdup(cur.set_raw[i]);
	if (config_int_parse(&st, p, len, errstr_r) < 0 ||
	    cfg_activate(&st, errstr_r) < 0) {
		cfg_state_free(&st);
		return -1;
	}
	return 0;
}

/* Override one parameter (command line -o); re-applied at every load. */
int
config_set(const char *name, const char *value, const char **errstr_r)
{
	int i;
	char *old;

	cfg_cur_init();
	i = config_int_index(name, strlen(name));
	if (i < 0)
		return config_int_err(errstr_r, "-o: unknown parameter name '%.64s'",
		    name);
	if (strlen(value) > CFG_VALUE_MAX)
		return config_int_err(errstr_r, "-o %s: value too long", name);
	old = cur.set_raw[i];
	cur.set_raw[i] = xstrdup(value);
	if (!cfg_loaded)
		goto done;
	if (cfg_activate(&cur, errstr_r) < 0) {
		free(cur.set_raw[i]);
		cur.set_raw[i] = old;
		return -1;
	}
done:
	free(old);
	return 0;
}

/* Make sure defaults are expanded when nothing has been loaded yet. */
static void
cfg_ensure_loaded(void)
{
	const char *err;

	cfg_cur_init();
	if (!cfg_loaded && cfg_activate(&cur, &err) < 0)
		log_warn("configuration: %s", err);
}

/* The expanded value of a parameter, or NULL if the name is unknown. */
const char *
config_get(const char *name)
{
	int i = config_int_index(name, strlen(name));

	if (i < 0)
		return NULL;
	cfg_ensure_loaded();
	return cur.expanded[i] != NULL ? cur.expanded[i] : "";
}

/* The unexpanded value of a parameter in the given view, or NULL. */
const char *
config_raw(const char *name, enum config_dump_mode mode)
{
	int i = config_int_index(name, strlen(name));

	if (i < 0)
		return NULL;
	cfg_ensure_loaded();
	switch (mode) {
	case CONFIG_DUMP_ALL:
		return cfg_effective_raw(&cur, (size_t)i);
	case CONFIG_DUMP_DEFAULTS:
		return cfg_default_raw(&cur, (size_t)i);
	case CONFIG_DUMP_NONDEFAULT:
		return cur.set_raw[i] != NULL ? cur.set_raw[i] :
		    cur.file_raw[i];
	}
	return NULL;
}

/* Order table indices by parameter name. */
static int
cfg_cmp_index(const void *a, const void *b)
{
	return strcmp(params_table[*(const size_t *)a].name,
	    params_table[*(const size_t *)b].name);
}

/* Print "name = value" lines (unexpanded, like postconf) sorted by name. */
void
config_dump(FILE *fp, enum config_dump_mode mode)
{
	size_t *order = xcalloc(params_count, sizeof(size_t));

	for (size_t i = 0; i < params_count; i++)
		order[i] = i;
	qsort(order, params_count, sizeof(size_t), cfg_cmp_index);
	for (size_t k = 0; k < params_count; k++) {
		const char *v = config_raw(params_table[order[k]].name, mode);
		if (v != NULL)
			fprintf(fp, "%s = %s\n", params_table[order[k]].name, v);
	}
	free(order);
}

/* The path of the configuration file (loaded or to be loaded). */
const char *
config_file(void)
{
	return cfg_path;
}

/* Split a list on commas and blanks into a NULL-terminated string array. */
char **
config_list(const char *value)
{
	size_t n = 0, cap = 8;
	char **v = xcalloc(cap, sizeof(char *));
	const char *p = value;

	while (p != NULL && *p != '\0') {
		size_t len = strcspn(p, ", \t\r\n");
		if (len > 0) {
			if (n + 2 > cap) {
				v = xreallocarray(v, cap * 2, sizeof(char *));
				cap *= 2;
			}
			v[n++] = xstrndup(p, len);
		}
		p += len;
		p += strspn(p, ", \t\r\n");
	}
	v[n] = NULL;
	return v;
}

/* Free a list from config_list and NULL the pointer. */
void
config_list_free(char ***listp)
{
	if (listp == NULL || *listp == NULL)
		return;
	for (char **s = *listp; *s != NULL; s++)
		free(*s);
	free(*listp);
	*listp = NULL;
}
