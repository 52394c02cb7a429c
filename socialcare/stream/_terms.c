/* The content words of a post in one pass (socialcare/stream/terms.py `words`).
 *
 * terms.py reads them with two regexes: `_NOISE.sub(" ", lowered)` blanks handles, '#', links
 * and numbers, then `_TOKEN.findall` takes the runs `[a-z][a-z']+`, each stripped of quotes
 * and kept unless it is a stop word. The router does that for every customer post it stores
 * (posts.terms), and the two passes were about a twentieth of a Kafka router's time.
 *
 * This walks the lowered text once and does what the two passes do, character for character:
 * at each position the noise alternatives are tried in the regex's order (`@\w+`, `#`,
 * `https?://\S+`, `www\.\S+`, `\d+`; their first characters differ, so at most one can match)
 * with the character classes `re` uses for str patterns (\w: Py_UNICODE_ISALNUM or '_',
 * \S: not Py_UNICODE_ISSPACE, \d: Py_UNICODE_ISDECIMAL); a match is a separator, as the blank
 * the substitution leaves. Elsewhere the text is runs of [a-z'] between separators: findall
 * takes each run from its first letter to its end when that is two characters or more.
 * tests/stream/test_terms.py checks it against the regexes on the shared tweets and on
 * generated hostile text. Optional (pyproject.toml): without a C compiler terms.py uses the
 * regexes, to the same words.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define AT(i) PyUnicode_READ(kind, data, (i))
#define IS_WORD(ch) (Py_UNICODE_ISALNUM(ch) || (ch) == '_')
#define IS_RUN(ch) (((ch) >= 'a' && (ch) <= 'z') || (ch) == '\'')

/* The length of the noise match at i, or 0 for none. */
static Py_ssize_t noise_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i) {
    Py_UCS4 ch = AT(i);
    Py_ssize_t j;
    if (ch == '@') {
        for (j = i + 1; j < n && IS_WORD(AT(j)); j++);
        return j > i + 1 ? j - i : 0;
    }
    if (ch == '#') return 1;
    if (ch == 'h') {
        if (i + 4 > n || AT(i + 1) != 't' || AT(i + 2) != 't' || AT(i + 3) != 'p') return 0;
        j = i + 4;
        if (j < n && AT(j) == 's') j++;
        if (j + 3 > n || AT(j) != ':' || AT(j + 1) != '/' || AT(j + 2) != '/') return 0;
        j += 3;
    } else if (ch == 'w') {
        if (i + 4 > n || AT(i + 1) != 'w' || AT(i + 2) != 'w' || AT(i + 3) != '.') return 0;
        j = i + 4;
    } else {
        for (j = i; j < n && Py_UNICODE_ISDECIMAL(AT(j)); j++);
        return j - i;
    }
    Py_ssize_t start = j;  /* \S+ */
    while (j < n && !Py_UNICODE_ISSPACE(AT(j))) j++;
    return j > start ? j - i : 0;
}

/* Append the word of the run [start, end) (from its first letter, without trailing quotes)
 * unless it is too short (findall's two characters, then `min_length` once stripped) or a stop
 * word. */
static int take_run(PyObject *text, int kind, const void *data, Py_ssize_t start, Py_ssize_t end,
                    PyObject *stop_words, Py_ssize_t min_length, PyObject *out) {
    while (start < end && AT(start) == '\'') start++;
    if (end - start < 2) return 0;  /* findall needs a letter and one more character */
    while (end > start && AT(end - 1) == '\'') end--;
    if (end - start < min_length) return 0;
    PyObject *word = PyUnicode_Substring(text, start, end);
    if (!word) return -1;
    int stop = PySet_Contains(stop_words, word);
    int rc = stop < 0 ? -1 : stop ? 0 : PyList_Append(out, word);
    Py_DECREF(word);
    return rc;
}

/* The words of `text` (a str) that are not stop words and have `min_length` characters or
 * more, in order. */
static PyObject *collect_words(PyObject *text, PyObject *stop_words, Py_ssize_t min_length) {
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *out = PyList_New(0);
    if (!out) return NULL;
    Py_ssize_t run = -1; /* start of the current [a-z'] run, or -1 */
    Py_ssize_t i = 0;
    while (i < n) {
        Py_ssize_t noise = noise_at(kind, data, n, i);
        int in_run = !noise && IS_RUN(AT(i));
        if (!in_run && run >= 0) {
            if (take_run(text, kind, data, run, i, stop_words, min_length, out) < 0) goto fail;
            run = -1;
        }
        if (in_run && run < 0) run = i;
        i += noise ? noise : 1;
    }
    if (run >= 0 && take_run(text, kind, data, run, n, stop_words, min_length, out) < 0)
        goto fail;
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

static PyObject *content_words(PyObject *self, PyObject *args) {
    PyObject *text, *stop_words;
    if (!PyArg_ParseTuple(args, "UO!:content_words", &text, &PyFrozenSet_Type, &stop_words))
        return NULL;
    return collect_words(text, stop_words, 0);
}

/* a + join + b, made at its final size (PyUnicode_FromFormat parses its format each time). */
static PyObject *joined(PyObject *a, PyObject *join, PyObject *b) {
    Py_ssize_t la = PyUnicode_GET_LENGTH(a), lj = PyUnicode_GET_LENGTH(join);
    Py_ssize_t lb = PyUnicode_GET_LENGTH(b);
    Py_UCS4 max = PyUnicode_MAX_CHAR_VALUE(a);
    if (PyUnicode_MAX_CHAR_VALUE(join) > max) max = PyUnicode_MAX_CHAR_VALUE(join);
    if (PyUnicode_MAX_CHAR_VALUE(b) > max) max = PyUnicode_MAX_CHAR_VALUE(b);
    PyObject *out = PyUnicode_New(la + lj + lb, max);
    if (!out) return NULL;
    if (PyUnicode_CopyCharacters(out, 0, a, 0, la) < 0 ||
        PyUnicode_CopyCharacters(out, la, join, 0, lj) < 0 ||
        PyUnicode_CopyCharacters(out, la + lj, b, 0, lb) < 0) {
        Py_DECREF(out);
        return NULL;
    }
    return out;
}

/* listening_terms: the distinct words of two letters or more, then the distinct pairs of
 * adjacent ones joined by `join`, each in order of first appearance. */
static PyObject *content_terms(PyObject *self, PyObject *args) {
    PyObject *text, *stop_words, *join;
    if (!PyArg_ParseTuple(args, "UO!U:content_terms", &text, &PyFrozenSet_Type, &stop_words,
                          &join))
        return NULL;
    PyObject *ws = collect_words(text, stop_words, 2);
    if (!ws) return NULL;
    PyObject *out = PyList_New(0), *seen = PySet_New(NULL);
    if (!out || !seen) goto fail;
    Py_ssize_t m = PyList_GET_SIZE(ws);
    for (Py_ssize_t i = 0; i < 2 * m - 1; i++) {
        PyObject *term;
        if (i < m) {
            term = Py_NewRef(PyList_GET_ITEM(ws, i));
        } else {
            Py_ssize_t k = i - m;
            term = joined(PyList_GET_ITEM(ws, k), join, PyList_GET_ITEM(ws, k + 1));
            if (!term) goto fail;
        }
        int rc = PySet_Contains(seen, term);
        if (rc == 0) rc = PySet_Add(seen, term);
        if (rc == 0) rc = PyList_Append(out, term);
        Py_DECREF(term);
        if (rc < 0) goto fail;
    }
    Py_DECREF(seen);
    Py_DECREF(ws);
    return out;
fail:
    Py_DECREF(ws);
    Py_XDECREF(out);
    Py_XDECREF(seen);
    return NULL;
}

static PyMethodDef methods[] = {
    {"content_words", content_words, METH_VARARGS,
     "content_words(lowered_text, stop_words) -> [word]: terms.words of a lowercased text."},
    {"content_terms", content_terms, METH_VARARGS,
     "content_terms(lowered_text, stop_words, join) -> [term]: terms.listening_terms."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "socialcare.stream._terms",
    "The content words of a post in one pass (see _terms.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__terms(void) { return PyModule_Create(&module); }
