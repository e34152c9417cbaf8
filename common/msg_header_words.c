/*
 * msg_header_words.c - RFC 2047 encoded-word decoding to UTF-8 (see
 * msg_header.h: msg_header_decode_words).
 *
 * "=?charset[*lang]?Q|B?text?=" is decoded wherever it appears (mail
 * clients are lenient about the separating white space, so is this);
 * white space between two encoded-words is dropped (RFC 2047 6.2), and
 * adjacent words in the same charset are joined before conversion so a
 * character split across two words survives.  Conversion uses glibc iconv;
 * a charset iconv does not know, or a word that does not decode (bad
 * base64, no "?="), is kept raw; an invalid sequence becomes U+FFFD.
 * Public: msg_header_decode_words.  Returns -1 only when out is full.
 * Security: untrusted input; every buffer is bounded by the input length
 * or by out's maximum.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <strings.h>

#include "alloc.h"
#include "base64.h"
#include "mime_decode.h"
#include "msg_header.h"
#include "strutil.h"

#define WORD_CHARSET_MAX 64

struct word {
	char charset[WORD_CHARSET_MAX];
	char enc;		/* 'Q' or 'B' */
	const char *text;
	size_t text_len;
	size_t len;		/* the whole word */
};

struct pending {
	char charset[WORD_CHARSET_MAX];
	struct buf *bytes;	/* decoded, not yet converted */
};

/* 1 if an encoded-word starts at p; fills w. */
static int
word_scan(const char *p, size_t len, struct word *w)
{
	size_t i = 2, cs;
	const char *end;

	if (len < 8 || p[0] != '=' || p[1] != '?')
		return 0;
	while (i < len && p[i] != '?' && (unsigned char)p[i] > 32 &&
	    (unsigned char)p[i] < 127)
		i++;
	cs = i - 2;
	if (cs == 0 || i + 2 >= len || p[i] != '?' || p[i + 2] != '?')
		return 0;
	w->enc = (char)(p[i + 1] & ~0x20);
	if (w->enc != 'Q' && w->enc != 'B')
		return 0;
	w->text = p + i + 3;
	end = memmem(w->text, len - (i + 3), "?=", 2);
	if (end == NULL || memchr(w->text, ' ', (size_t)(end - w->text)))
		return 0;
	w->text_len = (size_t)(end - w->text);
	w->len = (size_t)(end + 2 - p);
	if (memchr(p + 2, '*', cs) != NULL)	/* RFC 2231 language */
		cs = (size_t)((const char *)memchr(p + 2, '*', cs) - (p + 2));
	if (cs == 0 || cs >= sizeof(w->charset))
		return 0;
	memcpy(w->charset, p + 2, cs);
	w->charset[cs] = '\0';
	return 1;
}

/* Decode the word's text (Q or B) onto bytes; -1 when it is malformed. */
static int
word_decode(const struct word *w, struct buf *bytes)
{
	char tmp[4], out[3];

	if (w->enc == 'B') {
		for (size_t i = 0; i < w->text_len; i += 4) {
			size_t n = w->text_len - i < 4 ? w->text_len - i : 4;
			long d;

			memcpy(tmp, w->text + i, n);
			memset(tmp + n, '=', 4 - n);
			if (n < 2 || (d = base64_decode(tmp, 4, out, 3)) < 0 ||
			    buf_append(bytes, out, (size_t)d) < 0)
				return -1;
		}
		return 0;
	}
	for (size_t i = 0; i < w->text_len; i++) {
		char c = w->text[i];
		int hi, lo;

		if (c == '_')
			c = ' ';
		else if (c == '=' && i + 2 < w->text_len &&
		    (hi = str_hexval(w->text[i + 1])) >= 0 &&
		    (lo = str_hexval(w->text[i + 2])) >= 0) {
			c = (char)(hi * 16 + lo);
			i += 2;
		}
		if (buf_append_char(bytes, c) < 0)
			return -1;
	}
	return 0;
}

/* Convert and drop what is pending. */
static int
flush(struct pending *pd, struct buf *out)
{
	int r = 0;

	if (pd->bytes->len > 0)
		r = mime_to_utf8(pd->charset, pd->bytes->data, pd->bytes->len, out);
	buf_reset(pd->bytes);
	pd->charset[0] = '\0';
	return r;
}

/* Take one encoded-word at p; 1 taken, 0 not a usable word, -1 full. */
static int
take_word(struct pending *pd, const char *p, size_t len, size_t *wl,
    struct buf *out)
{
	struct word w;
	size_t mark;

	if (!word_scan(p, len, &w) || !mime_charset_known(w.charset))
		return 0;
	if (strcasecmp(w.charset, pd->charset) != 0 && flush(pd, out) < 0)
		return -1;
	mark = pd->bytes->len;
	if (word_decode(&w, pd->bytes) < 0) {
		pd->bytes->len = mark;
		return 0;
	}
	memcpy(pd->charset, w.charset, strlen(w.charset) + 1);
	*wl = w.len;
	return 1;
}

/* Length of the white space run (SP, HTAB, CR, LF) at p. */
static size_t
ws_run(const char *p, size_t len)
{
	size_t i = 0;

	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
	    p[i] == '\n'))
		i++;
	return i;
}

/* Decode encoded-words in p; see msg_header.h. */
int
msg_header_decode_words(const char *p, size_t len, struct buf *out)
{
	struct pending pd = { "", buf_new(256, len + 16) };
	size_t i = 0, wl = 0, ws;
	int prev_word = 0, r = 0;

	while (i < len && r == 0) {
		ws = ws_run(p + i, len - i);
		if (ws > 0 && prev_word && i + ws < len) {
			struct word w;

			if (word_scan(p + i + ws, len - i - ws, &w) &&
			    mime_charset_known(w.charset)) {
				i += ws;	/* RFC 2047 6.2: dropped */
				continue;
			}
		}
		if (ws == 0 && (r = take_word(&pd, p + i, len - i, &wl,
		    out)) == 1) {
			i += wl;
			prev_word = 1;
			r = 0;
			continue;
		}
		if (r == 0 && (r = flush(&pd, out)) == 0) {
			size_t n = ws > 0 ? ws : 1;

			r = buf_append(out, p + i, n);
			i += n;
			prev_word = 0;
		}
	}
	if (r == 0)
		r = flush(&pd, out);
	buf_free(&pd.bytes);
	return r < 0 ? -1 : 0;
}
