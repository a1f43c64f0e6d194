/* One native pass for the word-list check: fold, remove, and keep the way back.
 *
 * normalize.py describes the normalisation; this is its hot loop. In one pass over the
 * text, every character is folded through a table (code point -> code point), giving
 * `base` (same length as the text); folded characters marked in a bitmap (invisible and
 * separator characters) are left out of `compact`, and for each kept character its index
 * in the text is recorded, so mapping a match back to the original is one array read.
 *
 * The pure-Python path (str.translate, then re.sub chunk by chunk, then a bisect per
 * match) gives identical results and is used where this module was not built; the tests
 * compare the two.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdarg.h>
#include <math.h>
#include <stdint.h>

/* Digit runs, for the regex rules' prefilter: digits one space or hyphen apart stay one run. */
enum { BROKEN, DIGIT, SEPARATOR };

#define FOLD_LOOP(CTYPE)                                                          \
    do {                                                                          \
        const CTYPE *src = (const CTYPE *)data;                                   \
        for (Py_ssize_t i = 0; i < length; i++) {                                 \
            uint32_t c = src[i];                                                  \
            uint32_t f = c < table_size ? table[c] : c;                           \
            base[i] = f;                                                          \
            if (f < digit_bits && (digits_map[f >> 3] >> (f & 7)) & 1) {               \
                digits = after == BROKEN ? 1 : digits + 1;                        \
                if (digits > longest) longest = digits;                           \
                after = DIGIT;                                                    \
            } else if ((f == ' ' || f == '-') && after == DIGIT) {                \
                after = SEPARATOR;  /* 138 0013 8000: still one number */         \
            } else {                                                              \
                after = BROKEN;                                                   \
            }                                                                     \
            if (f < removed_bits && (removed[f >> 3] >> (f & 7)) & 1) {           \
                continue;                                                         \
            }                                                                     \
            compact[kept] = f;                                                    \
            offsets[kept] = (uint32_t)i;                                          \
            kept++;                                                               \
        }                                                                         \
    } while (0)

PyDoc_STRVAR(fold_compact_doc,
"fold_compact(text, table, removed, digits) -> (base, compact, offsets, digit_run)\n\n"
"table: bytes of native uint32, the folded code point of each code point below its length.\n"
"removed: a bitmap over folded code points (bit c%8 of byte c//8) of characters left out.\n"
"digits: a bitmap of the same shape of what the regex rules' \\\\d matches (the regex module's tables).\n"
"offsets: bytes of native uint32, the index in text of each character of compact, then len(text).\n"
"digit_run: the most digits (as in `digits`) in one run of base, where digits may\n"
"stand one space or hyphen apart (138 0013 8000 is a run of 11).");

static PyObject *
fold_compact(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text;
    Py_buffer table_view, removed_view, digits_view;
    if (!PyArg_ParseTuple(args, "Uy*y*y*:fold_compact", &text, &table_view, &removed_view, &digits_view)) {
        return NULL;
    }
    PyObject *result = NULL;
    Py_UCS4 *base = NULL, *compact = NULL;
    PyObject *offsets_bytes = NULL;
    Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if ((size_t)length >= (size_t)UINT32_MAX) {  /* offsets are uint32; size_t: no wrap on 32-bit builds */
        PyErr_SetString(PyExc_OverflowError, "text longer than 2**32 - 1 characters");
        goto done;
    }
    if (table_view.len % sizeof(uint32_t) != 0 || ((uintptr_t)table_view.buf % sizeof(uint32_t)) != 0) {
        PyErr_SetString(PyExc_ValueError, "table must be an aligned buffer of uint32 values");
        goto done;
    }
    const uint32_t *table = (const uint32_t *)table_view.buf;
    const uint32_t table_size = (uint32_t)(table_view.len / sizeof(uint32_t));
    /* Values must be code points (<= U+10FFFF): normalize._native_tables checks that once, not per call. */
    const uint8_t *removed = (const uint8_t *)removed_view.buf;
    const uint64_t removed_bits = (uint64_t)removed_view.len * 8;
    const uint8_t *digits_map = (const uint8_t *)digits_view.buf;
    const uint64_t digit_bits = (uint64_t)digits_view.len * 8;
    base = PyMem_New(Py_UCS4, length + 1);
    compact = PyMem_New(Py_UCS4, length + 1);
    offsets_bytes = PyBytes_FromStringAndSize(NULL, (length + 1) * (Py_ssize_t)sizeof(uint32_t));
    if (base == NULL || compact == NULL || offsets_bytes == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    uint32_t *offsets = (uint32_t *)PyBytes_AS_STRING(offsets_bytes);
    Py_ssize_t kept = 0, digits = 0, longest = 0;  /* digits in the current and the longest run (\\d), for prefilters */
    int after = BROKEN;  /* what the current run ends with */
    const void *data = PyUnicode_DATA(text);
    switch (PyUnicode_KIND(text)) {
    case PyUnicode_1BYTE_KIND: FOLD_LOOP(Py_UCS1); break;
    case PyUnicode_2BYTE_KIND: FOLD_LOOP(Py_UCS2); break;
    default: FOLD_LOOP(Py_UCS4); break;
    }
    offsets[kept] = (uint32_t)length;
    if (_PyBytes_Resize(&offsets_bytes, (kept + 1) * (Py_ssize_t)sizeof(uint32_t)) < 0) {
        goto done;  /* offsets_bytes was freed and set to NULL */
    }
    PyObject *base_str = PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, base, length);
    PyObject *compact_str = base_str ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, compact, kept) : NULL;
    PyObject *longest_int = compact_str ? PyLong_FromSsize_t(longest) : NULL;
    if (longest_int != NULL) {
        result = PyTuple_Pack(4, base_str, compact_str, offsets_bytes, longest_int);
    }
    Py_XDECREF(longest_int);
    Py_XDECREF(base_str);
    Py_XDECREF(compact_str);
done:
    PyMem_Free(base);
    PyMem_Free(compact);
    Py_XDECREF(offsets_bytes);
    PyBuffer_Release(&table_view);
    PyBuffer_Release(&removed_view);
    PyBuffer_Release(&digits_view);
    return result;
}

PyDoc_STRVAR(plain_segments_doc,
"plain_segments(text, segment_type, display, field) -> (segments, several)\n\n"
"The paragraphs of plain text (runs of lines holding a non-space character, lines split on \\n,\n"
"spaces as str.isspace), as extract.extract_text defines them. A one-line paragraph becomes\n"
"segment_type(stripped text, display, field, block, ((0, line, column),)) with line 1-based and\n"
"column that of its first visible character, 1-based; segment_type is a tuple subclass (a NamedTuple)\n"
"built here directly, one per paragraph being most of the work on large checks. A paragraph of\n"
"several lines is (None, line, raw text) for the caller to join; `several` lists their blocks.");

/* A `type` (a tuple subclass) holding the given items; steals the references, even on failure. */
static PyObject *
tuple_of(PyTypeObject *type, PyObject **items, Py_ssize_t n)
{
    PyObject *made = type->tp_alloc(type, n);
    for (Py_ssize_t i = 0; i < n; i++) {
        if (made == NULL || items[i] == NULL) {
            Py_XDECREF(items[i]);
        } else {
            PyTuple_SET_ITEM(made, i, items[i]);
        }
    }
    for (Py_ssize_t i = 0; made != NULL && i < n; i++) {
        if (items[i] == NULL) {  /* an item failed to build: the exception is set */
            Py_DECREF(made);
            return NULL;
        }
    }
    return made;
}

/* A tuple of up to three Py_ssize_t numbers (anchors, matcher hits, probe spans); NULL with the exception set. */
static PyObject *
ssize_tuple(const Py_ssize_t *values, int n)
{
    PyObject *item = PyTuple_New(n);
    for (int k = 0; k < n; k++) {
        PyObject *number = PyLong_FromSsize_t(values[k]);
        if (item != NULL && number != NULL) {
            PyTuple_SET_ITEM(item, k, number);
        } else {
            Py_XDECREF(number);
            Py_CLEAR(item);
        }
    }
    return item;
}

/* PyArg_ParseTuple on an item of a list or tuple the caller gave: an item that is not a tuple is the caller's
 * TypeError (PyArg_ParseTuple takes a non-tuple for the module's own bug and raises SystemError). */
static int
parse_item(PyObject *item, const char *format, ...)
{
    if (!PyTuple_Check(item)) {
        PyErr_Format(PyExc_TypeError, "expected a tuple, not %.100s", Py_TYPE(item)->tp_name);
        return 0;
    }
    va_list arguments;
    va_start(arguments, format);
    int parsed = PyArg_VaParse(item, format, arguments);
    va_end(arguments);
    return parsed;
}

static PyObject *
paragraph(PyObject *text, PyTypeObject *segment_type, PyObject *display, PyObject *field, Py_ssize_t block,
          Py_ssize_t para_start, Py_ssize_t para_end, Py_ssize_t para_line, Py_ssize_t para_lines,
          Py_ssize_t first_visible, Py_ssize_t last_visible)
{
    if (para_lines > 1) {
        PyObject *raw = PyUnicode_Substring(text, para_start, para_end);
        return raw ? Py_BuildValue("(OnN)", Py_None, para_line, raw) : NULL;
    }
    Py_INCREF(display);
    Py_INCREF(field);
    PyObject *items[5] = {
        PyUnicode_Substring(text, first_visible, last_visible),
        display,
        field,
        PyLong_FromSsize_t(block),
        Py_BuildValue("((inn))", 0, para_line, first_visible - para_start + 1),
    };
    return tuple_of(segment_type, items, 5);
}

static PyObject *
plain_segments(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *display, *field;
    PyTypeObject *segment_type;
    if (!PyArg_ParseTuple(args, "UO!UU:plain_segments", &text, &PyType_Type, &segment_type, &display, &field)) {
        return NULL;
    }
    if (!PyType_IsSubtype(segment_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "segment_type must be a tuple subclass");
        return NULL;
    }
    const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    PyObject *segments = PyList_New(0), *several = PyList_New(0);
    if (segments == NULL || several == NULL) {
        goto fail;
    }
    Py_ssize_t line = 1, pos = 0;
    Py_ssize_t para_start = -1, para_line = 0, para_end = 0, para_lines = 0;
    Py_ssize_t first_visible = 0, last_visible = 0;  /* of a one-line paragraph */
    while (pos <= length) {
        /* one line: [pos, eol) */
        Py_ssize_t eol = pos;
        Py_ssize_t visible_start = -1, visible_end = -1;
        while (eol < length) {
            Py_UCS4 c = PyUnicode_READ(kind, data, eol);
            if (c == '\n') {
                break;
            }
            if (!Py_UNICODE_ISSPACE(c)) {
                if (visible_start < 0) {
                    visible_start = eol;
                }
                visible_end = eol + 1;
            }
            eol++;
        }
        int blank = visible_start < 0;
        if (!blank) {
            if (para_start < 0) {
                para_start = pos;
                para_line = line;
                para_lines = 0;
                first_visible = visible_start;
                last_visible = visible_end;
            }
            para_lines++;
            para_end = eol;
        }
        if ((blank || eol >= length) && para_start >= 0) {
            Py_ssize_t block = PyList_GET_SIZE(segments);
            PyObject *item = paragraph(text, segment_type, display, field, block, para_start, para_end, para_line,
                                       para_lines, first_visible, last_visible);
            if (item == NULL || PyList_Append(segments, item) < 0) {
                Py_XDECREF(item);
                goto fail;
            }
            Py_DECREF(item);
            if (para_lines > 1) {
                PyObject *index = PyLong_FromSsize_t(block);
                if (index == NULL || PyList_Append(several, index) < 0) {
                    Py_XDECREF(index);
                    goto fail;
                }
                Py_DECREF(index);
            }
            para_start = -1;
        }
        if (eol >= length) {
            break;
        }
        pos = eol + 1;
        line++;
    }
    return Py_BuildValue("(NN)", segments, several);
fail:
    Py_XDECREF(segments);
    Py_XDECREF(several);
    return NULL;
}

/* --- Markdown: pyromark's events as segments ----------------------------------------------------
 *
 * extract._MarkdownExtractor, event for event: the text of each block as runs (one anchor each),
 * joined across line breaks without a space beside CJK, emitted as Segments into the caller's _Out.
 * What is rare and intricate stays in Python, through hooks: a code span's runs, the visible
 * attributes of a tag (img alt, a href, meta content) and an HTML block that is not plain (below). The Python class
 * is the fallback and the reference: the tests run the same inputs through both.
 */

typedef struct { Py_ssize_t offset, line, column; } Anchor;

typedef struct {
    PyObject *field;  /* owned */
    PyObject *parts;  /* list of str, joined at finish */
    Anchor *anchors;
    Py_ssize_t n_anchors, cap_anchors, length;
    Py_UCS4 last;     /* the last character added: a line break beside CJK joins without a space */
    int pending;      /* a line break not yet joined */
} Runs;

typedef struct { PyObject *data; Py_ssize_t first_anchor, first_char; } OpenLink;

typedef struct {
    PyObject *src, *field, *display, *segment_type, *segments, *counts, *out, *hooks, *html_tags;
    PyObject *pos;                     /* the text's _Lines, made for the first inline tag with visible attributes */
    int kind;
    const void *data;
    Py_ssize_t length, line_offset;
    uint32_t cjk[32][2];
    Py_ssize_t n_cjk;
    Py_ssize_t *line_starts, n_lines;  /* in code points */
    Py_ssize_t *line_bytes, n_bytes;   /* the same line starts in UTF-8 bytes (pyromark's offsets), and the size */
    Py_ssize_t last_char;              /* the last conversion (_Offsets.char): a link's text ends there */
    Py_ssize_t seen_byte, seen_char;   /* a UTF-8 offset and its code point, where md_char's last walk ended */
    Runs *block, **alts, **inner;
    Py_ssize_t n_alts, cap_alts, n_inner, cap_inner;
    OpenLink *links;
    Py_ssize_t n_links, cap_links, skipping;
    int code;
    PyObject *html_texts;              /* the lines of the HTML block being read */
    Py_ssize_t *html_offsets, n_html, cap_html;
} Md;

static PyObject *s_start, *s_end, *s_dest_url, *s_link_type, *s_alt, *s_link, *s_empty, *s_space;

/* Room for one more item in a PyMem array. */
static int
grow(void **items, Py_ssize_t *cap, Py_ssize_t used, size_t size)
{
    if (used < *cap) {
        return 0;
    }
    Py_ssize_t want = *cap ? *cap * 2 : 8;
    void *more = PyMem_Realloc(*items, (size_t)want * size);
    if (more == NULL) {
        PyErr_NoMemory();
        return -1;
    }
    *items = more;
    *cap = want;
    return 0;
}

static Runs *
runs_new(PyObject *field)
{
    Runs *runs = PyMem_Calloc(1, sizeof(Runs));
    if (runs == NULL) {
        PyErr_NoMemory();
        return NULL;
    }
    runs->parts = PyList_New(0);
    if (runs->parts == NULL) {
        PyMem_Free(runs);
        return NULL;
    }
    Py_INCREF(field);
    runs->field = field;
    return runs;
}

static void
runs_free(Runs *runs)
{
    if (runs != NULL) {
        Py_XDECREF(runs->field);
        Py_XDECREF(runs->parts);
        PyMem_Free(runs->anchors);
        PyMem_Free(runs);
    }
}

static int
md_is_cjk(const Md *md, Py_UCS4 c)
{
    for (Py_ssize_t i = 0; i < md->n_cjk; i++) {
        if (md->cjk[i][0] <= c && c <= md->cjk[i][1]) {
            return 1;
        }
    }
    return 0;
}

static int
push_anchor(Runs *runs, Py_ssize_t offset, Py_ssize_t line, Py_ssize_t column)
{
    if (grow((void **)&runs->anchors, &runs->cap_anchors, runs->n_anchors, sizeof(Anchor)) < 0) {
        return -1;
    }
    runs->anchors[runs->n_anchors++] = (Anchor){offset, line, column};
    return 0;
}

/* _Runs.add: a run copied from one source line, starting at (line, column). */
static int
runs_add(const Md *md, Runs *runs, PyObject *text, Py_ssize_t line, Py_ssize_t column)
{
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (size == 0) {
        return 0;
    }
    if (runs->pending && PyList_GET_SIZE(runs->parts) > 0 && !md_is_cjk(md, runs->last)
        && !md_is_cjk(md, PyUnicode_READ_CHAR(text, 0))) {
        if (PyList_Append(runs->parts, s_space) < 0) {
            return -1;
        }
        runs->length += 1;
    }
    runs->pending = 0;
    if (push_anchor(runs, runs->length, line, column) < 0 || PyList_Append(runs->parts, text) < 0) {
        return -1;
    }
    runs->length += size;
    runs->last = PyUnicode_READ_CHAR(text, size - 1);
    return 0;
}

/* The line holding `value`: the last of the n ascending line starts at or before it (bisect_right - 1), 0 before
 * the first. The starts are code points (a segment's position) or UTF-8 bytes (pyromark's offsets). */
static Py_ssize_t
line_of(const Py_ssize_t *starts, Py_ssize_t n, Py_ssize_t value)
{
    Py_ssize_t low = 0, high = n;
    while (low < high) {
        Py_ssize_t mid = (low + high) / 2;
        if (value < starts[mid]) {
            high = mid;
        } else {
            low = mid + 1;
        }
    }
    return low > 0 ? low - 1 : 0;
}

/* _Lines.__call__: (line, column) of a code-point offset, both 1-based, the line shifted by line_offset. */
static void
md_pos(const Md *md, Py_ssize_t offset, Py_ssize_t *line, Py_ssize_t *column)
{
    Py_ssize_t index = line_of(md->line_starts, md->n_lines, offset);
    *line = index + 1 + md->line_offset;
    *column = offset - md->line_starts[index] + 1;
}

static int
add_at(const Md *md, Runs *runs, PyObject *text, Py_ssize_t offset)
{
    Py_ssize_t line, column;
    md_pos(md, offset, &line, &column);
    return runs_add(md, runs, text, line, column);
}

/* The size of a code point in UTF-8 (the text reached pyromark as UTF-8: no lone surrogates). */
static inline Py_ssize_t
utf8_size(Py_UCS4 c)
{
    return c < 0x80 ? 1 : c < 0x800 ? 2 : c < 0x10000 ? 3 : 4;
}

/* _Offsets.__call__: a byte offset of pyromark's as a code-point offset, remembered as the last one. */
static Py_ssize_t
md_char(Md *md, PyObject *span, PyObject *key)
{
    PyObject *value = PyDict_GetItemWithError(span, key);
    Py_ssize_t byte = value ? PyLong_AsSsize_t(value) : -1;
    if (byte < 0 || byte > md->n_bytes) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_ValueError, "an event's range is outside the text");
        }
        return -1;
    }
    if (PyUnicode_IS_ASCII(md->src)) {
        md->last_char = byte;
        return byte;
    }
    Py_ssize_t line = line_of(md->line_bytes, md->n_lines, byte);
    Py_ssize_t at = md->line_starts[line], counted = md->line_bytes[line];
    /* From the nearest known boundary: the line start, or the last conversion (events mostly move forward, a link's
     * end steps back to its start); decoding from the line start each time made one long line quadratic. */
    if (md->seen_byte >= counted && md->seen_byte <= byte) {
        at = md->seen_char;
        counted = md->seen_byte;
    } else if (md->seen_byte > byte && md->seen_byte - byte < byte - counted) {
        at = md->seen_char;
        counted = md->seen_byte;
        while (at > 0 && counted - utf8_size(PyUnicode_READ(md->kind, md->data, at - 1)) >= byte) {
            counted -= utf8_size(PyUnicode_READ(md->kind, md->data, --at));
        }
    }
    for (; counted < byte && at < md->length; at++) {
        counted += utf8_size(PyUnicode_READ(md->kind, md->data, at));
    }
    md->seen_byte = counted;  /* the byte offset of character `at` */
    md->seen_char = at;
    md->last_char = at;
    return at;
}

/* Segment(text, display, field, block, anchors) numbered within its field, into the caller's _Out. */
static int
md_emit(Md *md, PyObject *field, PyObject *text, const Anchor *anchors, Py_ssize_t n, Anchor first, int replace)
{
    PyObject *counted = PyDict_GetItemWithError(md->counts, field);
    if (counted == NULL && PyErr_Occurred()) {
        return -1;
    }
    Py_ssize_t block = counted ? PyLong_AsSsize_t(counted) : 0;
    if (block == -1 && PyErr_Occurred()) {  /* not an int: stop here, not with the exception pending */
        return -1;
    }
    PyObject *tuple = PyTuple_New(n + replace);
    if (tuple == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < n + replace; i++) {
        Anchor a = replace && i == 0 ? first : anchors[i - replace];
        Py_ssize_t numbers[3] = {a.offset, a.line, a.column};
        PyObject *item = ssize_tuple(numbers, 3);
        if (item == NULL) {
            Py_DECREF(tuple);
            return -1;
        }
        PyTuple_SET_ITEM(tuple, i, item);
    }
    Py_INCREF(text);
    Py_INCREF(md->display);
    Py_INCREF(field);
    PyObject *items[5] = {text, md->display, field, PyLong_FromSsize_t(block), tuple};
    PyObject *segment = tuple_of((PyTypeObject *)md->segment_type, items, 5);
    PyObject *next = PyLong_FromSsize_t(block + 1);
    int failed = segment == NULL || next == NULL || PyList_Append(md->segments, segment) < 0
                 || PyDict_SetItem(md->counts, field, next) < 0;
    Py_XDECREF(segment);
    Py_XDECREF(next);
    return failed ? -1 : 0;
}

/* _Runs.finish: the block's text, surrounding whitespace stripped (a code block keeps it but its last newlines). */
static int
runs_finish(Md *md, Runs *runs, int strip)
{
    if (PyList_GET_SIZE(runs->parts) == 0) {
        return 0;
    }
    PyObject *text = PyUnicode_Join(s_empty, runs->parts);
    if (text == NULL) {
        return -1;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(text), lead = 0, trail = size;
    if (size > 0 && runs->n_anchors == 0) {  /* text always comes with an anchor; stripping reads the first one */
        Py_DECREF(text);
        PyErr_SetString(PyExc_ValueError, "text without a source position: the events are out of order");
        return -1;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    if (strip) {
        while (lead < size && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, lead))) {
            lead++;
        }
        while (trail > lead && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, trail - 1))) {
            trail--;
        }
    } else {
        while (trail > 0 && PyUnicode_READ(kind, data, trail - 1) == '\n') {
            trail--;
        }
    }
    int result = 0;
    if (lead == 0 && trail == size) {  /* the common case: the anchors stand */
        result = size ? md_emit(md, runs->field, text, runs->anchors, runs->n_anchors, (Anchor){0}, 0) : 0;
    } else if (trail > lead) {
        Py_ssize_t at = 0;  /* Segment.position(lead): the last anchor at or before it */
        while (at + 1 < runs->n_anchors && runs->anchors[at + 1].offset <= lead) {
            at++;
        }
        Anchor base = runs->anchors[at];
        Anchor first = {0, base.line, base.column + lead - base.offset};
        Py_ssize_t n = 0;
        for (Py_ssize_t i = 0; i < runs->n_anchors; i++) {
            Anchor a = runs->anchors[i];
            if (lead < a.offset && a.offset < trail) {
                runs->anchors[n++] = (Anchor){a.offset - lead, a.line, a.column};
            }
        }
        PyObject *trimmed = PyUnicode_Substring(text, lead, trail);
        result = trimmed ? md_emit(md, runs->field, trimmed, runs->anchors, n, first, 1) : -1;
        Py_XDECREF(trimmed);
    }
    Py_DECREF(text);
    return result;
}

/* _MarkdownExtractor.target: the alt text of an open image, else the block (opened at need). */
static Runs *
md_target(Md *md)
{
    if (md->n_alts) {
        return md->alts[md->n_alts - 1];
    }
    if (md->block == NULL) {
        md->block = runs_new(md->field);
    }
    return md->block;
}

static int
md_flush(Md *md)
{
    int result = 0;
    if (md->block != NULL) {
        result = runs_finish(md, md->block, !md->code);
        runs_free(md->block);
        md->block = NULL;
    }
    md->code = 0;
    for (Py_ssize_t i = 0; i < md->n_inner; i++) {
        if (result == 0) {
            result = runs_finish(md, md->inner[i], 1);
        }
        runs_free(md->inner[i]);
    }
    md->n_inner = 0;
    return result;
}

static int
push_inner(Md *md, Runs *runs)
{
    if (grow((void **)&md->inner, &md->cap_inner, md->n_inner, sizeof(Runs *)) < 0) {
        runs_free(runs);
        return -1;
    }
    md->inner[md->n_inner++] = runs;
    return 0;
}

static int
is_ascii_punct(Py_UCS4 c)
{
    return c < 128 && c > ' ' && c != 127 && !((c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z'));
}

/* A Text event: verbatim text anchored where it starts; a code block's lines each on its line; an escape at its
 * backslash. */
static int
md_text(Md *md, PyObject *text, PyObject *span)
{
    if (md->skipping) {
        return 0;
    }
    Py_ssize_t begin = md_char(md, span, s_start);
    if (begin < 0) {
        return -1;
    }
    Runs *runs = md_target(md);
    if (runs == NULL) {
        return -1;
    }
    if (md->code) {
        PyObject *lines = PyUnicode_Splitlines(text, 1);
        if (lines == NULL) {
            return -1;
        }
        for (Py_ssize_t i = 0; i < PyList_GET_SIZE(lines); i++) {
            PyObject *line = PyList_GET_ITEM(lines, i);
            if (add_at(md, runs, line, begin) < 0) {
                Py_DECREF(lines);
                return -1;
            }
            begin += PyUnicode_GET_LENGTH(line);
        }
        Py_DECREF(lines);
        return 0;
    }
    Py_ssize_t size = PyUnicode_GET_LENGTH(text);
    if (begin > 0 && size > 0 && PyUnicode_READ(md->kind, md->data, begin - 1) == '\\'
        && is_ascii_punct(PyUnicode_READ_CHAR(text, 0))) {
        PyObject *head = PyUnicode_Substring(text, 0, 1), *rest = PyUnicode_Substring(text, 1, size);
        int failed = head == NULL || rest == NULL || add_at(md, runs, head, begin - 1) < 0
                     || add_at(md, runs, rest, begin + 1) < 0;
        Py_XDECREF(head);
        Py_XDECREF(rest);
        return failed ? -1 : 0;
    }
    return add_at(md, runs, text, begin);  /* verbatim or an entity: at its first source character */
}

/* The name of a Start or End tag: the string itself, or the key of a one-key dict. */
static PyObject *
tag_name(PyObject *tag, PyObject **value)
{
    *value = NULL;
    if (PyUnicode_Check(tag)) {
        return tag;
    }
    Py_ssize_t at = 0;
    PyObject *key = NULL;
    if (PyDict_Check(tag) && PyDict_Next(tag, &at, &key, value)) {
        return key;
    }
    return NULL;
}

/* name == the ASCII literal: sizes first, then the bytes (pyromark's names are new strings each time, not interned). */
#define name_is(name, literal) name_is_sized((name), (literal), strlen(literal))  /* a constant for literals */

static inline int
name_is_sized(PyObject *name, const char *literal, size_t size)
{
    return PyUnicode_Check(name) && PyUnicode_IS_ASCII(name) && (size_t)PyUnicode_GET_LENGTH(name) == size
           && memcmp(PyUnicode_DATA(name), literal, size) == 0;
}

static int
is_block_name(PyObject *name)
{
    static const char *blocks[] = {"Paragraph", "Heading", "BlockQuote", "CodeBlock", "HtmlBlock", "List", "Item",
                                   "Table", "TableHead", "TableRow", "TableCell", "FootnoteDefinition",
                                   "MetadataBlock", NULL};
    for (const char **block = blocks; *block; block++) {
        if (name_is(name, *block)) {
            return 1;
        }
    }
    return 0;
}

static int
md_start(Md *md, PyObject *tag)
{
    PyObject *value, *name = tag_name(tag, &value);
    if (name == NULL) {
        return 0;
    }
    if (is_block_name(name)) {
        if (md_flush(md) < 0) {
            return -1;
        }
        if (name_is(name, "CodeBlock")) {
            md->code = 1;
        } else if (name_is(name, "HtmlBlock")) {
            md->n_html = 0;
            if (PyList_SetSlice(md->html_texts, 0, PyList_GET_SIZE(md->html_texts), NULL) < 0) {
                return -1;
            }
        }
    } else if (name_is(name, "Image")) {
        Runs *alt = runs_new(s_alt);
        if (alt == NULL || grow((void **)&md->alts, &md->cap_alts, md->n_alts, sizeof(Runs *)) < 0) {
            runs_free(alt);
            return -1;
        }
        md->alts[md->n_alts++] = alt;
    } else if (name_is(name, "Link") && value != NULL) {
        Runs *runs = md_target(md);
        if (runs == NULL || grow((void **)&md->links, &md->cap_links, md->n_links, sizeof(OpenLink)) < 0) {
            return -1;
        }
        Py_INCREF(value);
        md->links[md->n_links++] = (OpenLink){value, runs->n_anchors, runs->length};
    }
    return 0;
}

/* _MarkdownExtractor.link: the target of a link as a "link" segment; an autolink's is its text. */
static int
md_link(Md *md, OpenLink open, PyObject *span)
{
    Runs *runs = md_target(md), *link = runs ? runs_new(s_link) : NULL;
    if (link == NULL) {
        return -1;
    }
    PyObject *url = PyDict_GetItemWithError(open.data, s_dest_url);
    PyObject *type = url ? PyDict_GetItemWithError(open.data, s_link_type) : NULL;
    if (type == NULL || !PyUnicode_Check(url) || !PyUnicode_Check(type)) {
        if (!PyErr_Occurred()) {
            PyErr_SetString(PyExc_TypeError, "a link event without dest_url and link_type");
        }
        runs_free(link);
        return -1;
    }
    int failed = 0;
    if (name_is(type, "Autolink") || name_is(type, "Email")) {
        /* Only the parts from the link's start are joined: the whole block for every autolink was quadratic. */
        Py_ssize_t first_part = PyList_GET_SIZE(runs->parts), before = runs->length;  /* the chars before it */
        while (first_part > 0 && before > open.first_char) {
            before -= PyUnicode_GET_LENGTH(PyList_GET_ITEM(runs->parts, --first_part));
        }
        PyObject *tail = PyList_GetSlice(runs->parts, first_part, PY_SSIZE_T_MAX);
        PyObject *joined = tail ? PyUnicode_Join(s_empty, tail) : NULL;
        Py_XDECREF(tail);
        Py_ssize_t from = open.first_char;
        PyObject *text = joined ? PyUnicode_Substring(joined, from - before, PY_SSIZE_T_MAX) : NULL;
        failed = text == NULL || PyList_Append(link->parts, text) < 0;
        for (Py_ssize_t i = open.first_anchor; !failed && i < runs->n_anchors; i++) {
            Anchor a = runs->anchors[i];
            failed = push_anchor(link, a.offset - from, a.line, a.column) < 0;
        }
        if (!failed) {
            link->length = PyUnicode_GET_LENGTH(text);
        }
        Py_XDECREF(joined);
        Py_XDECREF(text);
    } else if (PyUnicode_GET_LENGTH(url) > 0) {
        Py_ssize_t after_text = md->last_char;  /* the end of the link's text: the destination comes after it */
        Py_ssize_t begin = md_char(md, span, s_start), stop = begin < 0 ? -1 : md_char(md, span, s_end);
        Py_ssize_t found = -1;
        if (stop < 0) {
            failed = 1;
        } else if (name_is(type, "Inline")) {
            found = PyUnicode_Find(md->src, url, after_text, stop, 1);
        } else {  /* a reference link's URL is in its definition: where it first occurs, from hooks[4] */
            PyObject *place = PyObject_CallFunction(PyTuple_GET_ITEM(md->hooks, 4), "OOO", md->out, md->src, url);
            found = place == NULL ? -2 : PyLong_AsSsize_t(place);
            Py_XDECREF(place);
            if (found == -1 && PyErr_Occurred()) {
                found = -2;
            } else if (found < -1 || found >= md->length) {
                PyErr_SetString(PyExc_ValueError, "a reference link's place is outside the text");
                found = -2;
            }
        }
        failed = failed || found == -2 || add_at(md, link, url, found >= 0 ? found : begin) < 0;
    }
    if (failed) {
        runs_free(link);
        return -1;
    }
    return push_inner(md, link);
}

/* hooks[1](out, src, at, tag, raw, pos): the visible attributes of the start tag src[at:] (raw) as segments, where
 * pos is hooks[3](src, line_offset, shifts), a _Lines made once per text. */
static int
md_attributes(Md *md, PyObject *src, Py_ssize_t line_offset, PyObject *shifts, PyObject *tag, PyObject *raw,
              Py_ssize_t at, PyObject **pos)
{
    if (*pos == NULL) {
        *pos = PyObject_CallFunction(PyTuple_GET_ITEM(md->hooks, 3), "OnO", src, line_offset, shifts);
        if (*pos == NULL) {
            return -1;
        }
    }
    PyObject *done = PyObject_CallFunction(PyTuple_GET_ITEM(md->hooks, 1), "OOnOOO", md->out, src, at, tag, raw, *pos);
    Py_XDECREF(done);
    return done ? 0 : -1;
}

/* --- An HTML block inside Markdown, natively where it is plain ---------------------------------------
 *
 * extract._HtmlExtractor (html.parser underneath) for the HTML that Markdown copy holds: start tags with
 * well-formed attributes, end tags, and text without entities. Anything else (a comment, an entity, a '<'
 * that opens no tag, <script>, <pre>, <title>…) leaves the block to the Python hook, decided before
 * anything is emitted, so a block is read entirely by one path or the other.
 */

enum { TOKEN_DATA, TOKEN_START, TOKEN_END };
enum { PENDING_NONE, PENDING_SPACE, PENDING_BREAK };

typedef struct { int type, closes; Py_ssize_t start, end, name, name_len; } Token;

typedef struct {
    Py_UCS4 *chars;
    Py_ssize_t *lines, *columns;  /* the source position of each character; line -1 for a joining space */
    Py_ssize_t n, cap;
    int pending;
} HtmlText;

typedef struct {
    PyObject *content;
    int kind;
    const void *data;
    Py_ssize_t length, first_line, n_shifts, *shifts, *starts, n_starts;
    PyObject *block_tags, *python_tags, *attribute_tags;
} Html;

static int
is_html_space(Py_UCS4 c)  /* html.parser's whitespace inside tags, ASCII only here */
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

static int
is_name_char(Py_UCS4 c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static int
is_attribute_char(Py_UCS4 c)
{
    return is_name_char(c) || c == '_' || c == ':' || c == '.';
}

/* The lowercase name of a token as a str. */
static PyObject *
token_name(const Html *html, const Token *token)
{
    char name[64];
    if (token->name_len >= (Py_ssize_t)sizeof(name)) {
        return PyUnicode_FromString("");  /* no tag this code knows is that long */
    }
    for (Py_ssize_t i = 0; i < token->name_len; i++) {
        Py_UCS4 c = PyUnicode_READ(html->kind, html->data, token->name + i);
        name[i] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
    }
    return PyUnicode_FromStringAndSize(name, token->name_len);
}

/* A start tag at content[at] ('<' + letter): its end, or -1 where html.parser's reading is not this simple one. */
static Py_ssize_t
scan_start_tag(const Html *html, Py_ssize_t at, Token *token)
{
    Py_ssize_t i = at + 1, n = html->length;
    token->name = i;
    while (i < n && is_name_char(PyUnicode_READ(html->kind, html->data, i))) {
        i++;
    }
    token->name_len = i - token->name;
    for (;;) {
        Py_ssize_t before = i;
        while (i < n && is_html_space(PyUnicode_READ(html->kind, html->data, i))) {
            i++;
        }
        if (i >= n) {
            return -1;
        }
        Py_UCS4 c = PyUnicode_READ(html->kind, html->data, i);
        if (c == '>') {
            token->closes = 0;
            return i + 1;
        }
        if (c == '/' && i + 1 < n && PyUnicode_READ(html->kind, html->data, i + 1) == '>') {
            token->closes = 1;
            return i + 2;
        }
        if (i == before || !is_attribute_char(c)) {  /* an attribute needs a space before it */
            return -1;
        }
        while (i < n && is_attribute_char(PyUnicode_READ(html->kind, html->data, i))) {
            i++;
        }
        Py_ssize_t after_name = i;
        while (i < n && is_html_space(PyUnicode_READ(html->kind, html->data, i))) {
            i++;
        }
        if (i >= n || PyUnicode_READ(html->kind, html->data, i) != '=') {
            i = after_name;  /* an attribute without a value */
            continue;
        }
        i++;
        while (i < n && is_html_space(PyUnicode_READ(html->kind, html->data, i))) {
            i++;
        }
        if (i >= n) {
            return -1;
        }
        c = PyUnicode_READ(html->kind, html->data, i);
        if (c == '"' || c == '\'') {
            Py_ssize_t close = PyUnicode_FindChar(html->content, c, i + 1, n, 1);
            if (close < 0) {
                return -1;
            }
            i = close + 1;
        } else {  /* a bare value: html.parser reads it up to a space or '>', so '/>' right after is not allowed */
            Py_ssize_t value = i;
            while (i < n && is_attribute_char(PyUnicode_READ(html->kind, html->data, i))) {
                i++;
            }
            if (i == value || (i < n && PyUnicode_READ(html->kind, html->data, i) == '/')) {
                return -1;
            }
        }
        if (i >= n || !(is_html_space(PyUnicode_READ(html->kind, html->data, i))
                        || PyUnicode_READ(html->kind, html->data, i) == '>'
                        || PyUnicode_READ(html->kind, html->data, i) == '/')) {
            return -1;
        }
    }
}

/* The tokens of a plain HTML block, or 0 tokens and no error where the Python path must read it. */
static int
html_tokens(const Html *html, Token **tokens, Py_ssize_t *count, Py_ssize_t *cap)
{
    Py_ssize_t i = 0, n = html->length;
    if (PyUnicode_FindChar(html->content, '&', 0, n, 1) >= 0) {
        return 0;  /* entities: html.unescape's reading */
    }
    while (i < n) {
        if (grow((void **)tokens, cap, *count, sizeof(Token)) < 0) {
            return -1;
        }
        Token *token = &(*tokens)[*count];
        *token = (Token){TOKEN_DATA, 0, i, i, 0, 0};
        Py_ssize_t lt = PyUnicode_FindChar(html->content, '<', i, n, 1);
        if (lt != i) {
            token->end = lt < 0 ? n : lt;
            i = token->end;
            (*count)++;
            continue;
        }
        Py_UCS4 next = i + 1 < n ? PyUnicode_READ(html->kind, html->data, i + 1) : 0;
        Py_ssize_t end = -1;
        if ((next >= 'a' && next <= 'z') || (next >= 'A' && next <= 'Z')) {
            token->type = TOKEN_START;
            end = scan_start_tag(html, i, token);
        } else if (next == '/' && i + 2 < n) {
            token->type = TOKEN_END;
            token->name = i + 2;
            Py_ssize_t j = i + 2;
            Py_UCS4 c = PyUnicode_READ(html->kind, html->data, j);
            if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
                while (j < n && is_name_char(PyUnicode_READ(html->kind, html->data, j))) {
                    j++;
                }
                token->name_len = j - token->name;
                while (j < n && is_html_space(PyUnicode_READ(html->kind, html->data, j))) {
                    j++;
                }
                end = j < n && PyUnicode_READ(html->kind, html->data, j) == '>' ? j + 1 : -1;
            }
        }
        if (end < 0) {
            *count = 0;
            return 0;
        }
        PyObject *name = token_name(html, token);
        int python = name == NULL ? -1 : PySet_Contains(html->python_tags, name);
        Py_XDECREF(name);
        if (python != 0) {
            *count = 0;
            return python < 0 ? -1 : 0;
        }
        token->end = end;
        i = end;
        (*count)++;
    }
    return 0;
}

static int
text_push(HtmlText *text, Py_UCS4 c, Py_ssize_t line, Py_ssize_t column)
{
    if (text->n == text->cap) {
        Py_ssize_t want = text->cap ? text->cap * 2 : 64;
        Py_UCS4 *chars = PyMem_Realloc(text->chars, (size_t)want * sizeof(Py_UCS4));
        if (chars != NULL) {
            text->chars = chars;
        }
        Py_ssize_t *lines = chars ? PyMem_Realloc(text->lines, (size_t)want * sizeof(Py_ssize_t)) : NULL;
        if (lines != NULL) {
            text->lines = lines;
        }
        Py_ssize_t *columns = lines ? PyMem_Realloc(text->columns, (size_t)want * sizeof(Py_ssize_t)) : NULL;
        if (columns == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        text->columns = columns;
        text->cap = want;
    }
    text->chars[text->n] = c;
    text->lines[text->n] = line;
    text->columns[text->n++] = column;
    return 0;
}

/* _Block.add of content[from:to], each character at its source position (_Lines with the lines' shifts). */
static int
text_add(const Md *md, const Html *html, HtmlText *text, Py_ssize_t from, Py_ssize_t to)
{
    if (to <= from) {
        return 0;
    }
    Py_UCS4 first = PyUnicode_READ(html->kind, html->data, from);
    int cjk_break = text->pending == PENDING_BREAK && text->n
                    && (md_is_cjk(md, text->chars[text->n - 1]) || md_is_cjk(md, first));
    if (text->pending && text->n && !cjk_break && text_push(text, ' ', -1, -1) < 0) {
        return -1;
    }
    text->pending = PENDING_NONE;
    /* the line of `from` by bisection: a walk from line 1 for each piece made big blocks quadratic */
    Py_ssize_t index = line_of(html->starts, html->n_starts, from);
    for (Py_ssize_t at = from; at < to; at++) {
        while (index + 1 < html->n_starts && html->starts[index + 1] <= at) {
            index++;
        }
        Py_ssize_t shift = index < html->n_shifts ? html->shifts[index] : 0;
        if (text_push(text, PyUnicode_READ(html->kind, html->data, at), index + 1 + html->first_line,
                      at - html->starts[index] + 1 + shift) < 0) {
            return -1;
        }
    }
    return 0;
}

/* _Block.finish(strip=True) and _Out.emit: an anchor wherever a character is not where the last one ended. */
static int
text_finish(Md *md, HtmlText *text)
{
    Py_ssize_t lead = 0, n = text->n;
    text->n = 0;
    text->pending = PENDING_NONE;
    while (n > 0 && Py_UNICODE_ISSPACE(text->chars[n - 1])) {
        n--;
    }
    while (lead < n && Py_UNICODE_ISSPACE(text->chars[lead])) {
        lead++;
    }
    if (lead >= n) {
        return 0;
    }
    Anchor *anchors = PyMem_New(Anchor, n - lead);
    PyObject *string = anchors ? PyUnicode_FromKindAndData(PyUnicode_4BYTE_KIND, text->chars + lead, n - lead) : NULL;
    if (string == NULL) {
        PyMem_Free(anchors);
        return anchors ? -1 : (PyErr_NoMemory(), -1);
    }
    Py_ssize_t count = 0, line = -1, column = -1;  /* where the next character is expected */
    for (Py_ssize_t i = lead; i < n; i++) {
        Py_ssize_t at_line = text->lines[i] < 0 ? line : text->lines[i];  /* a joining space continues the run */
        Py_ssize_t at_column = text->lines[i] < 0 ? column : text->columns[i];
        if (at_line != line || at_column != column) {
            anchors[count++] = (Anchor){i - lead, at_line, at_column};
        }
        line = at_line;
        column = at_column + 1;
    }
    int result = md_emit(md, md->field, string, anchors, count, (Anchor){0}, 0);
    Py_DECREF(string);
    PyMem_Free(anchors);
    return result;
}

/* _HtmlExtractor.handle_data outside <pre>: runs of HTML whitespace are a space, or a break if they hold a newline. */
static int
html_data(const Md *md, const Html *html, HtmlText *text, Py_ssize_t from, Py_ssize_t to)
{
    Py_ssize_t piece = from, at = from;
    while (at < to) {
        Py_UCS4 c = PyUnicode_READ(html->kind, html->data, at);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\f') {
            at++;
            continue;
        }
        Py_ssize_t run = at;
        int newline = 0;
        for (; at < to; at++) {
            c = PyUnicode_READ(html->kind, html->data, at);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\f') {
                break;
            }
            newline |= c == '\n';
        }
        if (text_add(md, html, text, piece, run) < 0) {
            return -1;
        }
        if (newline) {
            text->pending = PENDING_BREAK;
        } else if (!text->pending) {
            text->pending = PENDING_SPACE;
        }
        piece = at;
    }
    return text_add(md, html, text, piece, to);
}

/* _HtmlExtractor.handle_endtag outside <pre>: a block tag ends the text, <br> breaks it. */
static int
html_end_tag(Md *md, HtmlText *text, int block, int br)
{
    if (block) {
        return text_finish(md, text);
    }
    if (br) {
        text->pending = PENDING_BREAK;
    }
    return 0;
}

/* _HtmlExtractor.handle_starttag (and handle_endtag after it for <x/>): a block tag ends the text, <br> breaks
 * it, and the visible attributes of a start tag (img alt, a href, meta content) go to the hook. */
static int
html_tag(Md *md, const Html *html, HtmlText *text, const Token *token, PyObject *shifts, PyObject **pos)
{
    PyObject *name = token_name(html, token);
    int block = name ? PySet_Contains(html->block_tags, name) : -1;
    int br = block >= 0 && name_is(name, "br");
    int result = block < 0 ? -1 : 0;
    if (result == 0 && token->type == TOKEN_START) {
        result = html_end_tag(md, text, block, br);  /* the same two steps open a block or a break */
        int wanted = result < 0 ? 0 : PySet_Contains(html->attribute_tags, name);
        PyObject *raw = wanted > 0 ? PyUnicode_Substring(html->content, token->start, token->end) : NULL;
        if (wanted < 0 || (wanted > 0 && (raw == NULL || md_attributes(md, html->content, html->first_line, shifts,
                                                                        name, raw, token->start, pos) < 0))) {
            result = -1;
        }
        Py_XDECREF(raw);
    }
    if (result == 0 && (token->type == TOKEN_END || token->closes)) {
        result = html_end_tag(md, text, block, br);
    }
    Py_XDECREF(name);
    return result;
}

/* An HTML block read natively: 1 when done, 0 when it must go to the Python hook (nothing emitted), -1 on error. */
static int
html_block(Md *md, PyObject *content, Py_ssize_t first_line, PyObject *shifts, PyObject *tags)
{
    Html html = {content, PyUnicode_KIND(content), PyUnicode_DATA(content), PyUnicode_GET_LENGTH(content),
                 first_line, PyList_GET_SIZE(shifts), NULL, NULL, 0,
                 PyTuple_GET_ITEM(tags, 0), PyTuple_GET_ITEM(tags, 1), PyTuple_GET_ITEM(tags, 2)};
    Token *tokens = NULL;
    Py_ssize_t count = 0, cap = 0;
    HtmlText text = {0};
    PyObject *pos = NULL;  /* the block's _Lines, made for the first tag with visible attributes */
    int result = -1;
    html.shifts = PyMem_New(Py_ssize_t, html.n_shifts + 1);
    html.starts = PyMem_New(Py_ssize_t, html.length + 1);
    if (html.shifts == NULL || html.starts == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t i = 0; i < html.n_shifts; i++) {
        html.shifts[i] = PyLong_AsSsize_t(PyList_GET_ITEM(shifts, i));
    }
    html.starts[html.n_starts++] = 0;
    for (Py_ssize_t i = 0; i < html.length; i++) {
        if (PyUnicode_READ(html.kind, html.data, i) == '\n') {
            html.starts[html.n_starts++] = i + 1;
        }
    }
    if (PyErr_Occurred() || html_tokens(&html, &tokens, &count, &cap) < 0) {
        goto done;
    }
    result = count > 0 || html.length == 0;
    for (Py_ssize_t i = 0; result == 1 && i < count; i++) {
        if (tokens[i].type == TOKEN_DATA) {
            result = html_data(md, &html, &text, tokens[i].start, tokens[i].end) < 0 ? -1 : 1;
        } else {
            result = html_tag(md, &html, &text, &tokens[i], shifts, &pos) < 0 ? -1 : 1;
        }
    }
    if (result == 1 && text_finish(md, &text) < 0) {
        result = -1;
    }
done:
    Py_XDECREF(pos);
    PyMem_Free(tokens);
    PyMem_Free(html.shifts);
    PyMem_Free(html.starts);
    PyMem_Free(text.chars);
    PyMem_Free(text.lines);
    PyMem_Free(text.columns);
    return result;
}

static int
md_end(Md *md, PyObject *tag, PyObject *span)
{
    PyObject *value, *name = tag_name(tag, &value);
    if (name == NULL) {
        return 0;
    }
    if (is_block_name(name)) {
        if (name_is(name, "HtmlBlock") && md->n_html) {
            /* natively, or hooks[2](out, content, field, line offset of its first line, column shift of each line) */
            PyObject *content = PyUnicode_Join(s_empty, md->html_texts);
            PyObject *shifts = content ? PyList_New(md->n_html) : NULL;
            Py_ssize_t first = 0;
            for (Py_ssize_t i = 0; shifts != NULL && i < md->n_html; i++) {
                Py_ssize_t line, column;
                md_pos(md, md->html_offsets[i], &line, &column);
                if (i == 0) {
                    first = line - 1 - md->line_offset;
                }
                PyObject *shift = PyLong_FromSsize_t(column - 1);
                if (shift == NULL) {
                    Py_CLEAR(shifts);
                    break;
                }
                PyList_SET_ITEM(shifts, i, shift);
            }
            int native = shifts == NULL ? -1 : html_block(md, content, md->line_offset + first, shifts, md->html_tags);
            PyObject *done = native != 0 ? NULL : PyObject_CallFunction(
                PyTuple_GET_ITEM(md->hooks, 2), "OOOnO", md->out, content, md->field, md->line_offset + first, shifts);
            Py_XDECREF(content);
            Py_XDECREF(shifts);
            if (native < 0 || (native == 0 && done == NULL)) {
                return -1;
            }
            Py_XDECREF(done);
        }
        return md_flush(md);
    }
    if (name_is(name, "Image") && md->n_alts) {
        return push_inner(md, md->alts[--md->n_alts]);
    }
    if (name_is(name, "Link") && md->n_links) {
        OpenLink open = md->links[--md->n_links];
        int result = md_link(md, open, span);
        Py_DECREF(open.data);
        return result;
    }
    return 0;
}

/* _MarkdownExtractor.code_span: the runs come from hooks[0](src, code, begin, stop), [(text, offset)]. */
static int
md_code(Md *md, PyObject *code, PyObject *span)
{
    if (md->skipping) {
        return 0;
    }
    Runs *runs = md_target(md);
    Py_ssize_t begin = runs ? md_char(md, span, s_start) : -1, stop = begin < 0 ? -1 : md_char(md, span, s_end);
    if (stop < 0) {
        return -1;
    }
    PyObject *found = PyObject_CallFunction(PyTuple_GET_ITEM(md->hooks, 0), "OOnn", md->src, code, begin, stop);
    PyObject *fast = found ? PySequence_Fast(found, "code span runs must be a list") : NULL;
    Py_XDECREF(found);
    if (fast == NULL) {
        return -1;
    }
    for (Py_ssize_t i = 0; i < PySequence_Fast_GET_SIZE(fast); i++) {
        PyObject *text;
        Py_ssize_t at;
        if (!parse_item(PySequence_Fast_GET_ITEM(fast, i), "Un", &text, &at) || add_at(md, runs, text, at) < 0) {
            Py_DECREF(fast);
            return -1;
        }
    }
    Py_DECREF(fast);
    return 0;
}

/* _MarkdownExtractor.inline_html: script/style/template hide text, <br> breaks, and a start tag whose
 * attributes can reach the audience goes to hooks[1](out, src, line_offset, tag, raw, offset). */
static int
md_inline_html(Md *md, PyObject *raw, PyObject *span)
{
    Py_ssize_t size = PyUnicode_GET_LENGTH(raw), i = 1;  /* <\s*(/?)\s*([A-Za-z][A-Za-z0-9:-]*) */
    if (size == 0 || PyUnicode_READ_CHAR(raw, 0) != '<') {
        return 0;
    }
    while (i < size && Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(raw, i))) {
        i++;
    }
    int closing = i < size && PyUnicode_READ_CHAR(raw, i) == '/';
    i += closing;
    while (closing && i < size && Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(raw, i))) {
        i++;
    }
    char tag[16];
    Py_ssize_t n = 0;
    for (; i < size; i++, n++) {
        Py_UCS4 c = PyUnicode_READ_CHAR(raw, i);
        int letter = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
        if (!letter && (n == 0 || !((c >= '0' && c <= '9') || c == ':' || c == '-'))) {
            break;
        }
        if (n < (Py_ssize_t)sizeof(tag) - 1) {
            tag[n] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
        }
    }
    if (n == 0) {  /* a comment, declaration or processing instruction */
        return 0;
    }
    tag[n < (Py_ssize_t)sizeof(tag) ? n : (Py_ssize_t)sizeof(tag) - 1] = '\0';
    if (n >= (Py_ssize_t)sizeof(tag)) {
        tag[0] = '\0';  /* longer than any tag named here */
    }
    if (!strcmp(tag, "script") || !strcmp(tag, "style") || !strcmp(tag, "template")) {
        if (closing) {
            md->skipping = md->skipping > 0 ? md->skipping - 1 : 0;
        } else {
            Py_ssize_t end = size;  /* raw.rstrip().endswith("/>") */
            while (end > 0 && Py_UNICODE_ISSPACE(PyUnicode_READ_CHAR(raw, end - 1))) {
                end--;
            }
            if (!(end >= 2 && PyUnicode_READ_CHAR(raw, end - 1) == '>' && PyUnicode_READ_CHAR(raw, end - 2) == '/')) {
                md->skipping++;
            }
        }
    } else if (md->skipping) {
        return 0;
    } else if (!strcmp(tag, "br")) {
        Runs *runs = md_target(md);
        if (runs == NULL) {
            return -1;
        }
        runs->pending = 1;
    } else if (!closing) {
        Py_ssize_t at = md_char(md, span, s_start);
        if (at < 0) {
            return -1;
        }
        PyObject *name = PyUnicode_FromString(tag), *shifts = PyTuple_New(0);
        int wanted = name && shifts ? PySet_Contains(PyTuple_GET_ITEM(md->html_tags, 2), name) : -1;
        if (wanted > 0) {
            wanted = md_attributes(md, md->src, md->line_offset, shifts, name, raw, at, &md->pos) < 0 ? -1 : 1;
        }
        Py_XDECREF(name);
        Py_XDECREF(shifts);
        if (wanted < 0) {
            return -1;
        }
    }
    return 0;
}

static int
md_html(Md *md, PyObject *text, PyObject *span)
{
    Py_ssize_t at = md_char(md, span, s_start);
    if (at < 0 || grow((void **)&md->html_offsets, &md->cap_html, md->n_html, sizeof(Py_ssize_t)) < 0
        || PyList_Append(md->html_texts, text) < 0) {
        return -1;
    }
    md->html_offsets[md->n_html++] = at;
    return 0;
}

static int
md_event(Md *md, PyObject *item)
{
    if (!PyTuple_Check(item) || PyTuple_GET_SIZE(item) != 2) {
        PyErr_SetString(PyExc_TypeError, "events must be (event, range) tuples");
        return -1;
    }
    PyObject *event = PyTuple_GET_ITEM(item, 0), *span = PyTuple_GET_ITEM(item, 1);
    if (PyUnicode_Check(event)) {  /* SoftBreak, HardBreak, Rule */
        if (!name_is(event, "Rule")) {
            Runs *runs = md_target(md);
            if (runs == NULL) {
                return -1;
            }
            runs->pending = 1;
        }
        return 0;
    }
    Py_ssize_t at = 0;
    PyObject *key, *value;
    if (!PyDict_Check(event) || !PyDict_Check(span) || !PyDict_Next(event, &at, &key, &value)) {
        return 0;
    }
    if (name_is(key, "Text")) {
        return PyUnicode_Check(value) ? md_text(md, value, span) : 0;
    }
    if (name_is(key, "Start")) {
        return md_start(md, value);
    }
    if (name_is(key, "End")) {
        return md_end(md, value, span);
    }
    if (!PyUnicode_Check(value)) {
        return 0;
    }
    if (name_is(key, "Code")) {
        return md_code(md, value, span);
    }
    if (name_is(key, "InlineHtml")) {
        return md_inline_html(md, value, span);
    }
    if (name_is(key, "Html")) {
        return md_html(md, value, span);
    }
    return 0;
}

/* Line starts in code points and in UTF-8 bytes, in one pass over the text (no UTF-8 copy of it is made). */
#define OFFSETS_LOOP(CTYPE)                                                                          \
    do {                                                                                             \
        const CTYPE *text = (const CTYPE *)md->data;                                                 \
        for (Py_ssize_t i = 0; i < md->length; i++) {                                                \
            bytes += utf8_size(text[i]);                                                             \
            if (text[i] == '\n' && md_line(md, i + 1, bytes, &cap_starts, &cap_bytes) < 0) {         \
                return -1;                                                                           \
            }                                                                                        \
        }                                                                                            \
    } while (0)

static int
md_line(Md *md, Py_ssize_t start, Py_ssize_t byte, Py_ssize_t *cap_starts, Py_ssize_t *cap_bytes)
{
    if (grow((void **)&md->line_starts, cap_starts, md->n_lines, sizeof(Py_ssize_t)) < 0
        || grow((void **)&md->line_bytes, cap_bytes, md->n_lines, sizeof(Py_ssize_t)) < 0) {
        return -1;
    }
    md->line_starts[md->n_lines] = start;
    md->line_bytes[md->n_lines++] = byte;
    return 0;
}

static int
md_offsets(Md *md)
{
    Py_ssize_t cap_starts = 0, cap_bytes = 0, bytes = 0;
    if (md_line(md, 0, 0, &cap_starts, &cap_bytes) < 0) {
        return -1;
    }
    switch (md->kind) {
    case PyUnicode_1BYTE_KIND: OFFSETS_LOOP(Py_UCS1); break;
    case PyUnicode_2BYTE_KIND: OFFSETS_LOOP(Py_UCS2); break;
    default: OFFSETS_LOOP(Py_UCS4); break;
    }
    md->n_bytes = bytes;
    return 0;
}

PyDoc_STRVAR(markdown_segments_doc,
"markdown_segments(events, src, line_offset, field, out, segment_type, cjk_ranges, hooks, html_tags) -> None\n\n"
"The segments of one Markdown text from pyromark's events_with_range(src), as extract._MarkdownExtractor\n"
"makes them, appended to out.segments and numbered in out.counts (a dict: field -> blocks so far).\n"
"cjk_ranges: (low, high) code points that join a line break without a space (mediactl.text.cjk).\n"
"hooks: (_code_span_runs, _emit_attributes, _html_into, _Lines, _reference_place), the Python functions of extract.py.\n"
"html_tags: frozensets (block tags, tags only the Python path reads, tags with visible attributes).");

static PyObject *
markdown_segments(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *events, *cjk, *iterator = NULL, *result = NULL;
    Md md = {0};
    if (!PyArg_ParseTuple(args, "OUnUOO!O!O!O!:markdown_segments", &events, &md.src, &md.line_offset, &md.field,
                          &md.out, &PyType_Type, &md.segment_type, &PyTuple_Type, &cjk, &PyTuple_Type, &md.hooks,
                          &PyTuple_Type, &md.html_tags)) {
        return NULL;
    }
    if (PyTuple_GET_SIZE(md.hooks) != 5 || PyTuple_GET_SIZE(md.html_tags) != 3 || PyTuple_GET_SIZE(cjk) > 32
        || !PyType_IsSubtype((PyTypeObject *)md.segment_type, &PyTuple_Type)) {
        PyErr_SetString(PyExc_TypeError, "five hooks, three tag sets, at most 32 CJK ranges, a tuple subclass");
        return NULL;
    }
    for (Py_ssize_t i = 0; i < PyTuple_GET_SIZE(cjk); i++) {
        unsigned int low, high;
        if (!parse_item(PyTuple_GET_ITEM(cjk, i), "II", &low, &high)) {
            return NULL;
        }
        md.cjk[md.n_cjk][0] = low;
        md.cjk[md.n_cjk++][1] = high;
    }
    md.kind = PyUnicode_KIND(md.src);
    md.data = PyUnicode_DATA(md.src);
    md.length = PyUnicode_GET_LENGTH(md.src);
    md.segments = PyObject_GetAttrString(md.out, "segments");
    md.counts = md.segments ? PyObject_GetAttrString(md.out, "counts") : NULL;
    md.display = md.counts ? PyObject_GetAttrString(md.out, "display") : NULL;
    md.html_texts = PyList_New(0);
    if (md.display == NULL || md.html_texts == NULL || md_offsets(&md) < 0) {
        goto done;
    }
    if (!PyList_Check(md.segments) || !PyDict_Check(md.counts) || !PyUnicode_Check(md.display)) {
        PyErr_SetString(PyExc_TypeError, "out must have a list of segments, a dict of counts and a str display");
        goto done;
    }
    iterator = PyObject_GetIter(events);  /* pyromark makes each event as it is asked for: one alive at a time */
    if (iterator == NULL) {
        goto done;
    }
    PyObject *item;
    while ((item = PyIter_Next(iterator)) != NULL) {
        int failed = md_event(&md, item) < 0;
        Py_DECREF(item);
        if (failed) {
            goto done;
        }
    }
    if (!PyErr_Occurred() && md_flush(&md) == 0) {
        Py_INCREF(Py_None);
        result = Py_None;
    }
done:
    Py_XDECREF(iterator);
    runs_free(md.block);
    for (Py_ssize_t i = 0; i < md.n_alts; i++) {
        runs_free(md.alts[i]);
    }
    for (Py_ssize_t i = 0; i < md.n_inner; i++) {
        runs_free(md.inner[i]);
    }
    for (Py_ssize_t i = 0; i < md.n_links; i++) {
        Py_DECREF(md.links[i].data);
    }
    PyMem_Free(md.alts);
    PyMem_Free(md.inner);
    PyMem_Free(md.links);
    PyMem_Free(md.html_offsets);
    PyMem_Free(md.line_starts);
    PyMem_Free(md.line_bytes);
    Py_XDECREF(md.html_texts);
    Py_XDECREF(md.pos);
    Py_XDECREF(md.segments);
    Py_XDECREF(md.counts);
    Py_XDECREF(md.display);
    return result;
}

/* ---------------------------------------------------------------- the matcher's hits (matcher.Matcher.search_spans) */

PyDoc_STRVAR(match_spans_doc,
"match_spans(hits, shift, offsets, base, flags, term_keys) -> (kept, gapped, probes)\n\n"
"The loop over the automaton's raw hits, as matcher.Matcher.search_spans runs it in Python.\n"
"hits: a list of (key, start, end) on the compact text, in units of 1 << shift (a hit at an odd unit\n"
"is dropped). offsets: native uint32s, the original index of each compact character, then the length.\n"
"base: the folded text. flags: a byte per key, bit 1 its first character is an ASCII letter or digit,\n"
"bit 2 its last, bit 4 a probe. Keys from term_keys on are probes only.\n"
"kept: (start, -end, key) of the term hits whose Latin ends stand free and that span no removed character;\n"
"gapped: the same for those that do (the caller applies the gap policy); probes: key -> [(first, last)],\n"
"the original offsets of each probe hit's first and last kept character, in the order found.");

static inline int
is_ascii_alnum(Py_UCS4 c)
{
    return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

/* Append (first, second, third) to a list. */
static int
append_triple(PyObject *list, Py_ssize_t first, Py_ssize_t second, Py_ssize_t third, int three)
{
    Py_ssize_t numbers[3] = {first, second, third};
    PyObject *item = ssize_tuple(numbers, three ? 3 : 2);
    if (item == NULL) {
        return -1;
    }
    int failed = PyList_Append(list, item) < 0;
    Py_DECREF(item);
    return failed ? -1 : 0;
}

static int
add_probe(PyObject *probes, Py_ssize_t key, Py_ssize_t first, Py_ssize_t last)
{
    PyObject *number = PyLong_FromSsize_t(key);
    if (number == NULL) {
        return -1;
    }
    PyObject *found = PyDict_GetItemWithError(probes, number);
    if (found == NULL) {
        if (PyErr_Occurred() || (found = PyList_New(0)) == NULL) {
            Py_DECREF(number);
            return -1;
        }
        int failed = PyDict_SetItem(probes, number, found) < 0;
        Py_DECREF(found);  /* the dict holds it */
        if (failed) {
            Py_DECREF(number);
            return -1;
        }
    }
    Py_DECREF(number);
    return append_triple(found, first, last, 0, 0);
}

static PyObject *
match_spans(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *hits, *base, *kept = NULL, *gapped = NULL, *probes = NULL, *result = NULL;
    Py_ssize_t shift, term_keys;
    Py_buffer offsets = {0}, flags = {0};
    if (!PyArg_ParseTuple(args, "O!ny*Uy*n:match_spans", &PyList_Type, &hits, &shift, &offsets, &base, &flags,
                          &term_keys)) {
        return NULL;
    }
    const uint32_t *offset = offsets.buf;
    const unsigned char *flag = flags.buf;
    Py_ssize_t n_offsets = offsets.len / (Py_ssize_t)sizeof(uint32_t), size = PyUnicode_GET_LENGTH(base);
    int kind = PyUnicode_KIND(base);
    const void *data = PyUnicode_DATA(base);
    if (shift < 0 || shift > 1 || n_offsets < 1) {
        PyErr_SetString(PyExc_ValueError, "shift must be 0 or 1, offsets must hold at least the length");
        goto done;
    }
    kept = PyList_New(0);
    gapped = PyList_New(0);
    probes = PyDict_New();
    if (kept == NULL || gapped == NULL || probes == NULL) {
        goto done;
    }
    for (Py_ssize_t i = 0; i < PyList_GET_SIZE(hits); i++) {
        Py_ssize_t key, cstart, cend;
        if (!parse_item(PyList_GET_ITEM(hits, i), "nnn", &key, &cstart, &cend)) {
            goto done;
        }
        if (cstart & shift) {  /* an odd byte offset of UTF-16 units: not on a character boundary */
            continue;
        }
        cstart >>= shift;
        cend >>= shift;
        if (key < 0 || key >= flags.len || cstart < 0 || cend <= cstart || cend >= n_offsets) {
            PyErr_SetString(PyExc_ValueError, "a hit's key or span is outside the automaton or the text");
            goto done;
        }
        Py_ssize_t start = offset[cstart], end = (Py_ssize_t)offset[cend - 1] + 1;
        if (end > size) {
            PyErr_SetString(PyExc_ValueError, "an offset is outside the folded text");
            goto done;
        }
        if ((flag[key] & 4) && add_probe(probes, key, start, end - 1) < 0) {
            goto done;
        }
        if (key >= term_keys) {
            continue;
        }
        if ((flag[key] & 1) && start > 0 && is_ascii_alnum(PyUnicode_READ(kind, data, start - 1))) {
            continue;
        }
        if ((flag[key] & 2) && end < size && is_ascii_alnum(PyUnicode_READ(kind, data, end))) {
            continue;
        }
        if (append_triple(end - start == cend - cstart ? kept : gapped, start, -end, key, 1) < 0) {
            goto done;
        }
    }
    result = PyTuple_Pack(3, kept, gapped, probes);
done:
    Py_XDECREF(kept);
    Py_XDECREF(gapped);
    Py_XDECREF(probes);
    PyBuffer_Release(&offsets);
    PyBuffer_Release(&flags);
    return result;
}

PyDoc_STRVAR(ngram_scores_doc,
"ngram_scores(folded, table, intercept, max_size, starts, ends) -> (scores, han)\n\n"
"The learned reader's score of each paragraph folded[starts[i]:ends[i]] (check/reader.py, Model.read), and how\n"
"many Han characters it holds (reader.han_count): runs of whitespace count as one space, the ends are stripped\n"
"and ASCII digits read as 0. Each n-gram of 1..max_size code points is looked up in `table`, an open-addressing\n"
"hash table of a power of two slots, each a native (uint64 key, double idf, double weight) with key 0 for an\n"
"empty slot (reader.gram_key, reader.Model._table). The score is the logistic function of intercept +\n"
"sum(v * weight) / sqrt(sum(v * v)), v = (1 + log(count)) * idf over the n-grams found. One call per file: a\n"
"call per paragraph cost more in argument parsing than in scoring.");

typedef struct {
    double idf, weight;
} GramSlot;

typedef struct {
    const uint64_t *keys;  /* reader.gram_key by slot; 0: an empty slot. Probed alone: 8 bytes a slot stay in cache */
    const GramSlot *slots;  /* what a found n-gram adds, by slot */
    uint64_t mask;
    int bits, max_size;
} GramTable;

/* Counts by slot, kept between calls (zero outside a call; grown to the largest table seen): a paragraph
 * touches a few hundred of a table's slots, and clearing only those beats sorting its hits. The GIL is held
 * throughout, so one buffer per process is safe. */
static int32_t *gram_counts = NULL;
static Py_ssize_t gram_counts_size = 0;

/* Han characters as reader.HAN counts them: the CJK unified ideographs, extension A, the compatibility block and
 * the supplementary planes' extensions. */
static int
is_han(Py_UCS4 c)
{
    return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) || (c >= 0xF900 && c <= 0xFAFF)
           || (c >= 0x20000 && c <= 0x3FFFF);
}

/* The table argument checked and described, gram_counts grown to fit it; -1 with an exception set if malformed. */
static int
gram_table(Py_buffer *view, int max_size, GramTable *t)
{
    const Py_ssize_t width = (Py_ssize_t)(sizeof(uint64_t) + sizeof(GramSlot));
    const Py_ssize_t capacity = view->len / width;
    if (capacity < 2 || (capacity & (capacity - 1)) != 0 || view->len % width != 0 || max_size < 1
        || max_size > 3 || ((uintptr_t)view->buf % sizeof(uint64_t)) != 0 || capacity > INT32_MAX) {
        PyErr_SetString(PyExc_ValueError, "malformed n-gram table (see reader.Model._table)");
        return -1;
    }
    t->keys = (const uint64_t *)view->buf;
    t->slots = (const GramSlot *)(t->keys + capacity);
    t->mask = (uint64_t)capacity - 1;
    t->max_size = max_size;
    for (t->bits = 0; ((Py_ssize_t)1 << t->bits) < capacity; t->bits++) {
    }
    if (gram_counts_size < capacity) {
        int32_t *grown = PyMem_Calloc((size_t)capacity, sizeof(int32_t));
        if (grown == NULL) {
            PyErr_NoMemory();
            return -1;
        }
        PyMem_Free(gram_counts);
        gram_counts = grown;
        gram_counts_size = capacity;
    }
    return 0;
}

/* text[from:to] collapsed as reader.features reads it (runs of whitespace one space, the ends stripped, ASCII
 * digits as 0) into points, with each point's index in text in origin when given; its Han characters in *han. */
static Py_ssize_t
collapsed(int kind, const void *data, Py_ssize_t from, Py_ssize_t to, uint32_t *points, Py_ssize_t *origin,
          Py_ssize_t *han)
{
    Py_ssize_t n = 0;
    int space = 0;  /* a run of whitespace seen after some text: one space, if more text follows */
    *han = 0;
    for (Py_ssize_t i = from; i < to; i++) {
        Py_UCS4 c = PyUnicode_READ(kind, data, i);
        if (Py_UNICODE_ISSPACE(c)) {
            space = n > 0;
            continue;
        }
        if (space) {
            if (origin) {
                origin[n] = i - 1;
            }
            points[n++] = ' ';
            space = 0;
        }
        *han += is_han(c);
        if (origin) {
            origin[n] = i;
        }
        points[n++] = c >= '1' && c <= '9' ? '0' : (uint32_t)c;
    }
    return n;
}

/* The slot of each distinct n-gram of points[0:n] found in the table, in order of first sight, into found (and
 * where it first starts into first, its size into sizes, when given); gram_counts counts them (the caller
 * clears). Returns how many. */
static Py_ssize_t
grams_found(const GramTable *t, const uint32_t *points, Py_ssize_t n, int32_t *found, Py_ssize_t *first,
            int32_t *sizes)
{
    Py_ssize_t hits = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        uint64_t key = (uint64_t)1 << 63 | points[i];
        for (int size = 1; size <= t->max_size && i + size <= n; size++) {
            if (size > 1) {
                key |= (uint64_t)(points[i + size - 1] + 1) << (21 * (size - 1));
            }
            uint64_t h = (key * 0x9E3779B97F4A7C15ULL) >> (64 - t->bits);
            for (uint64_t probes = 0; t->keys[h] != 0 && probes <= t->mask; probes++) {  /* bounded: a full table */
                if (t->keys[h] == key) {
                    if (gram_counts[h]++ == 0) {
                        found[hits] = (int32_t)h;
                        if (first) {
                            first[hits] = i;
                            sizes[hits] = size;
                        }
                        hits++;
                    }
                    break;
                }
                h = (h + 1) & t->mask;
            }
        }
    }
    return hits;
}

static PyObject *
ngram_scores(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text, *starts, *ends;
    Py_buffer view;
    double intercept;
    int max_size;
    GramTable t;
    if (!PyArg_ParseTuple(args, "Uy*diO!O!:ngram_scores", &text, &view, &intercept, &max_size, &PyList_Type, &starts,
                          &PyList_Type, &ends)) {
        return NULL;
    }
    PyObject *result = NULL, *scores = NULL, *hans = NULL;
    uint32_t *points = NULL;
    int32_t *found = NULL;
    Py_ssize_t *spans = NULL;  /* the checked bounds, copied: creating the result lists may run the collector, whose
                                * finalizers could change the Python lists after they were checked */
    const Py_ssize_t count = PyList_GET_SIZE(starts), length = PyUnicode_GET_LENGTH(text);
    if (gram_table(&view, max_size, &t) < 0) {
        goto done;
    }
    if (PyList_GET_SIZE(ends) != count) {
        PyErr_SetString(PyExc_ValueError, "ngram_scores: starts and ends differ in length");
        goto done;
    }
    spans = PyMem_New(Py_ssize_t, 2 * count + 1);
    if (spans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t longest = 0;
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t from = PyLong_AsSsize_t(PyList_GET_ITEM(starts, i));
        Py_ssize_t to = PyLong_AsSsize_t(PyList_GET_ITEM(ends, i));
        if (PyErr_Occurred()) {
            goto done;
        }
        spans[2 * i] = from;
        spans[2 * i + 1] = to;
        if (from < 0 || to > length || from > to) {
            PyErr_Format(PyExc_IndexError, "ngram_scores: span %zd:%zd outside the text (length %zd)", from, to,
                         length);
            goto done;
        }
        longest = to - from > longest ? to - from : longest;
    }
    points = PyMem_New(uint32_t, longest + 1);
    found = PyMem_New(int32_t, longest * max_size + 1);
    scores = PyList_New(count);
    hans = PyList_New(count);
    if (points == NULL || found == NULL || scores == NULL || hans == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    const int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    for (Py_ssize_t i = 0; i < count; i++) {
        Py_ssize_t han;
        Py_ssize_t n = collapsed(kind, data, spans[2 * i], spans[2 * i + 1], points, NULL, &han);
        Py_ssize_t hits = grams_found(&t, points, n, found, NULL, NULL);
        double dot = 0.0, norm2 = 0.0;
        for (Py_ssize_t j = 0; j < hits; j++) {
            const GramSlot *slot = &t.slots[found[j]];
            const int32_t seen = gram_counts[found[j]];
            double value = (seen == 1 ? 1.0 : 1.0 + log((double)seen)) * slot->idf;  /* most occur once: no log */
            gram_counts[found[j]] = 0;
            norm2 += value * value;
            dot += value * slot->weight;
        }
        double logit = intercept + dot / (norm2 > 0.0 ? sqrt(norm2) : 1.0);
        logit = logit > 60.0 ? 60.0 : (logit < -60.0 ? -60.0 : logit);
        PyObject *score = PyFloat_FromDouble(1.0 / (1.0 + exp(-logit)));
        PyObject *han_count = score ? PyLong_FromSsize_t(han) : NULL;
        if (han_count == NULL) {
            Py_XDECREF(score);
            goto done;
        }
        PyList_SET_ITEM(scores, i, score);
        PyList_SET_ITEM(hans, i, han_count);
    }
    result = PyTuple_Pack(2, scores, hans);
done:
    Py_XDECREF(scores);
    Py_XDECREF(hans);
    PyMem_Free(points);
    PyMem_Free(found);
    PyMem_Free(spans);
    PyBuffer_Release(&view);
    return result;
}

PyDoc_STRVAR(ngram_evidence_doc,
"ngram_evidence(folded, table, max_size, count) -> [(start, end), ...]\n\n"
"The n-grams of one paragraph that raised its score most (reader.Model.evidence): of the distinct n-grams found\n"
"(as ngram_scores finds them) of two or more letters, digits or Han (no space, no punctuation) with a positive\n"
"weight, the `count` with the largest (1 + log(count)) * idf * weight, strongest first, each as the span of its\n"
"first occurrence in `folded`.");

static PyObject *
ngram_evidence(PyObject *module, PyObject *args)
{
    (void)module;
    PyObject *text;
    Py_buffer view;
    int max_size;
    Py_ssize_t count;
    GramTable t;
    if (!PyArg_ParseTuple(args, "Uy*in:ngram_evidence", &text, &view, &max_size, &count)) {
        return NULL;
    }
    PyObject *result = NULL;
    uint32_t *points = NULL;
    Py_ssize_t *origin = NULL, *first = NULL, *picks = NULL;
    int32_t *found = NULL, *sizes = NULL;
    const Py_ssize_t length = PyUnicode_GET_LENGTH(text);
    if (count < 0) {
        count = 0;
    }
    if (gram_table(&view, max_size, &t) < 0) {
        goto done;
    }
    points = PyMem_New(uint32_t, length + 1);
    origin = PyMem_New(Py_ssize_t, length + 1);  /* where each point of the collapsed text stands in `folded` */
    found = PyMem_New(int32_t, length * max_size + 1);
    first = PyMem_New(Py_ssize_t, length * max_size + 1);
    sizes = PyMem_New(int32_t, length * max_size + 1);
    picks = PyMem_New(Py_ssize_t, 2 * count + 2);
    if (points == NULL || origin == NULL || found == NULL || first == NULL || sizes == NULL || picks == NULL) {
        PyErr_NoMemory();
        goto done;
    }
    Py_ssize_t han;
    const Py_ssize_t n = collapsed(PyUnicode_KIND(text), PyUnicode_DATA(text), 0, length, points, origin, &han);
    const Py_ssize_t hits = grams_found(&t, points, n, found, first, sizes);
    for (Py_ssize_t j = 0; j < hits; j++) {  /* shown only if two or more letters, digits or Han */
        for (Py_ssize_t k = 0; k < sizes[j] && sizes[j] > 1; k++) {
            if (!Py_UNICODE_ISALNUM(points[first[j] + k])) {
                sizes[j] = 0;
            }
        }
        sizes[j] = sizes[j] > 1 ? sizes[j] : 0;
    }
    Py_ssize_t picked = 0;
    while (picked < count && picked < hits) {
        Py_ssize_t best = -1;
        double strongest = 0.0;
        for (Py_ssize_t j = 0; j < hits; j++) {
            const GramSlot *slot = &t.slots[found[j]];
            const int32_t seen = gram_counts[found[j]];
            double value = (seen == 1 ? 1.0 : 1.0 + log((double)seen)) * slot->idf * slot->weight;
            if (sizes[j] != 0 && value > strongest) {
                strongest = value;
                best = j;
            }
        }
        if (best < 0) {
            break;
        }
        const Py_ssize_t start = origin[first[best]], end = origin[first[best] + sizes[best] - 1] + 1;
        sizes[best] = 0;
        picks[2 * picked] = start;
        picks[2 * picked + 1] = end;
        picked++;
    }
    for (Py_ssize_t j = 0; j < hits; j++) {  /* cleared before any Python object is made (the collector may call in) */
        gram_counts[found[j]] = 0;
    }
    result = PyList_New(picked);
    for (Py_ssize_t i = 0; result != NULL && i < picked; i++) {
        PyObject *span = Py_BuildValue("(nn)", picks[2 * i], picks[2 * i + 1]);
        if (span == NULL) {
            Py_CLEAR(result);
            break;
        }
        PyList_SET_ITEM(result, i, span);
    }
done:
    PyMem_Free(points);
    PyMem_Free(origin);
    PyMem_Free(found);
    PyMem_Free(first);
    PyMem_Free(sizes);
    PyMem_Free(picks);
    PyBuffer_Release(&view);
    return result;
}

static PyMethodDef native_methods[] = {
    {"fold_compact", fold_compact, METH_VARARGS, fold_compact_doc},
    {"plain_segments", plain_segments, METH_VARARGS, plain_segments_doc},
    {"markdown_segments", markdown_segments, METH_VARARGS, markdown_segments_doc},
    {"match_spans", match_spans, METH_VARARGS, match_spans_doc},
    {"ngram_scores", ngram_scores, METH_VARARGS, ngram_scores_doc},
    {"ngram_evidence", ngram_evidence, METH_VARARGS, ngram_evidence_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native", "Native hot loops of mediactl.check.normalize and extract.", -1, native_methods,
    NULL, NULL, NULL, NULL,  /* no slots, traverse, clear or free: every field named, for -Wextra */
};

/* Bumped whenever a function's signature or results change: normalize.py uses this module only when the
 * number matches, so a stale build (an editable install not rebuilt after a pull) falls back to Python. */
#define NATIVE_API 4

/* The version of markdown_segments (and its hooks): extract.py calls it only when the number matches, so it is
 * versioned apart from NATIVE_API, which normalize.py checks for the whole module. */
#define MARKDOWN_API 2

/* The version of ngram_scores, which reader.py calls only when the number matches. */
#define READER_API 5

PyMODINIT_FUNC
PyInit__native(void)
{
    /* The names are interned into locals and kept only once the module exists: an init that fails (no memory)
     * releases what it made, and a later successful one holds exactly one reference to each. */
    static const char *const texts[] = {"start", "end", "dest_url", "link_type", "alt", "link", "", " "};
    PyObject **names[] = {&s_start, &s_end, &s_dest_url, &s_link_type, &s_alt, &s_link, &s_empty, &s_space};
    enum { N_NAMES = sizeof(texts) / sizeof(texts[0]) };
    PyObject *made[N_NAMES] = {NULL};
    PyObject *module = NULL;
    int failed = 0;
    for (int i = 0; i < N_NAMES && !failed; i++) {
        failed = (made[i] = PyUnicode_InternFromString(texts[i])) == NULL;
    }
    if (!failed) {
        module = PyModule_Create(&native_module);
        failed = module == NULL || PyModule_AddIntConstant(module, "API", NATIVE_API) < 0
                 || PyModule_AddIntConstant(module, "MARKDOWN_API", MARKDOWN_API) < 0
                 || PyModule_AddIntConstant(module, "READER_API", READER_API) < 0;
    }
    for (int i = 0; i < N_NAMES; i++) {
        if (failed) {
            Py_XDECREF(made[i]);
        } else {
            Py_XSETREF(*names[i], made[i]);
        }
    }
    if (failed) {
        Py_XDECREF(module);
        return NULL;
    }
    return module;
}
