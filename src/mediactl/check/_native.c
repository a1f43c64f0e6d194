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

static PyMethodDef native_methods[] = {
    {"fold_compact", fold_compact, METH_VARARGS, fold_compact_doc},
    {"plain_segments", plain_segments, METH_VARARGS, plain_segments_doc},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef native_module = {
    PyModuleDef_HEAD_INIT, "_native", "Native hot loop of mediactl.check.normalize.", -1, native_methods,
};

/* Bumped whenever a function's signature or results change: normalize.py uses this module only when the
 * number matches, so a stale build (an editable install not rebuilt after a pull) falls back to Python. */
#define NATIVE_API 4

PyMODINIT_FUNC
PyInit__native(void)
{
    PyObject *module = PyModule_Create(&native_module);
    if (module != NULL && PyModule_AddIntConstant(module, "API", NATIVE_API) < 0) {
        Py_DECREF(module);
        return NULL;
    }
    return module;
}
