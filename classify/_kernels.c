/* Compiled loops for scoring a batch with a learned model (classify/learned.py).
 *
 * `tfidf_scores` does in one pass over a batch's sorted (text, column) keys what took a
 * dozen numpy passes: count each distinct feature of a text, weigh it (sublinear tf × idf),
 * l2-normalize per text and add its weight × coefficient to the text's score for each label.
 * Every floating-point operation is the one numpy did, in the same order (numpy's bincount
 * adds in input order, and the keys are sorted by text then column), so the scores are the
 * same to the last bit; tests/classify/test_kernels.py checks that against the numpy path.
 *
 * Built by setuptools as an optional extension (pyproject.toml): where no C compiler is
 * found, classify/learned.py scores with numpy alone, and gives the same numbers.
 * Buffers only (no numpy headers): numpy arrays pass through the buffer protocol.
 */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <math.h>
#include <string.h>

typedef struct {
    Py_buffer view;
    int held;
} held_buffer;

static int get_buffer(PyObject *obj, held_buffer *b, int writable, const char *name,
                      const char *formats, Py_ssize_t itemsize) {
    int flags = PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
    if (PyObject_GetBuffer(obj, &b->view, flags) < 0) return -1;
    b->held = 1;
    const char *fmt = b->view.format ? b->view.format : "B";
    if (fmt[0] == '=' || fmt[0] == '<' || fmt[0] == '@') fmt++;
    if (b->view.itemsize != itemsize || fmt[1] != '\0' || strchr(formats, fmt[0]) == NULL) {
        PyErr_Format(PyExc_TypeError, "%s: expected items of %zd bytes ('%s'), got '%s'", name,
                     itemsize, formats, b->view.format ? b->view.format : "B");
        return -1;
    }
    return 0;
}

static void release(held_buffer *b) {
    if (b->held) PyBuffer_Release(&b->view);
    b->held = 0;
}

static void release_all(held_buffer *bufs, int n) {
    for (int i = 0; i < n; i++) release(&bufs[i]);
}

/* The int64 buffers of n arguments at once, each named in `names` ('+' first: writable).
 * Returns 0, or -1 with the error set and none of them held. */
static int int64_buffers(PyObject **objs, held_buffer *bufs, int n, const char *const *names) {
    for (int i = 0; i < n; i++) bufs[i].held = 0;
    for (int i = 0; i < n; i++) {
        int writable = names[i][0] == '+';
        if (get_buffer(objs[i], &bufs[i], writable, names[i] + writable, "qQlL", 8) < 0) {
            release_all(bufs, n);
            return -1;
        }
    }
    return 0;
}

/* One text's keys at a time: [i, end) are the keys below (row + 1) × width. Returns 0 when
 * the keys are not sorted or fall outside texts × width. */
#define SCORE_KEYS(NAME, KEY_T)                                                                 \
    static int NAME(const KEY_T *k, Py_ssize_t n_keys, Py_ssize_t width, Py_ssize_t texts,      \
                    Py_ssize_t labels, const double *idf, const double *tf, Py_ssize_t n_tf,    \
                    const double *coef, double *z, double *val, Py_ssize_t *col) {              \
        Py_ssize_t i = 0;                                                                       \
        while (i < n_keys) {                                                                    \
            if (k[i] < 0 || (int64_t)k[i] / width >= texts) return 0;                           \
            Py_ssize_t row = (Py_ssize_t)((int64_t)k[i] / width);                              \
            int64_t base = (int64_t)row * width, limit = base + width;                          \
            Py_ssize_t m = 0;                                                                   \
            double norm2 = 0.0;                                                                 \
            while (i < n_keys && (int64_t)k[i] < limit) {                                       \
                KEY_T key = k[i];                                                               \
                Py_ssize_t count = 1;                                                           \
                i++;                                                                            \
                while (i < n_keys && k[i] == key) {                                             \
                    count++;                                                                    \
                    i++;                                                                        \
                }                                                                               \
                if (i < n_keys && k[i] < key) return 0;                                         \
                Py_ssize_t c = (Py_ssize_t)((int64_t)key - base);                               \
                double v = (count < n_tf ? tf[count] : 1.0 + log((double)count)) * idf[c];      \
                val[m] = v;                                                                     \
                col[m] = c;                                                                     \
                m++;                                                                            \
                norm2 += v * v;                                                                 \
            }                                                                                   \
            double norm = sqrt(norm2);                                                          \
            double div = norm > 0 ? norm : 1.0;                                                 \
            double *zrow = z + row * labels;                                                    \
            if (labels == 1) {                                                                  \
                for (Py_ssize_t j = 0; j < m; j++) zrow[0] += val[j] / div * coef[col[j]];      \
            } else {                                                                            \
                for (Py_ssize_t j = 0; j < m; j++) {                                            \
                    double v = val[j] / div;                                                    \
                    const double *cf = coef + col[j] * labels;                                  \
                    for (Py_ssize_t l = 0; l < labels; l++) zrow[l] += v * cf[l];               \
                }                                                                               \
            }                                                                                   \
        }                                                                                       \
        return 1;                                                                               \
    }

SCORE_KEYS(score_keys32, int32_t)
SCORE_KEYS(score_keys64, int64_t)

/* tfidf_scores(keys, width, idf, tf, coef, z)
 *   keys:  sorted int32 or int64, each text row * width + column
 *   idf:   float64 (width,)
 *   tf:    float64 table, tf[count] for counts below its length (larger counts: 1 + log)
 *   coef:  float64 (width, labels), C order
 *   z:     float64 (texts, labels), C order, zeroed; the scores are added into it
 */
static PyObject *tfidf_scores(PyObject *self, PyObject *args) {
    PyObject *keys_o, *idf_o, *tf_o, *coef_o, *z_o;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OnOOOO", &keys_o, &width, &idf_o, &tf_o, &coef_o, &z_o))
        return NULL;
    held_buffer keys = {0}, idf = {0}, tf = {0}, coef = {0}, z = {0};
    PyObject *result = NULL;
    Py_ssize_t key_size = 8;
    {
        Py_buffer probe;
        if (PyObject_GetBuffer(keys_o, &probe, PyBUF_C_CONTIGUOUS | PyBUF_FORMAT) < 0) goto done;
        key_size = probe.itemsize;
        PyBuffer_Release(&probe);
    }
    if (get_buffer(keys_o, &keys, 0, "keys", key_size == 4 ? "iI" : "qQlL", key_size) < 0 ||
        get_buffer(idf_o, &idf, 0, "idf", "d", 8) < 0 ||
        get_buffer(tf_o, &tf, 0, "tf", "d", 8) < 0 ||
        get_buffer(coef_o, &coef, 0, "coef", "d", 8) < 0 ||
        get_buffer(z_o, &z, 1, "z", "d", 8) < 0)
        goto done;
    Py_ssize_t n_keys = keys.view.len / key_size;
    Py_ssize_t n_idf = idf.view.len / 8, n_tf = tf.view.len / 8;
    Py_ssize_t n_coef = coef.view.len / 8, n_z = z.view.len / 8;
    if (width <= 0 || n_idf != width || n_coef % width != 0 || n_coef == 0) {
        PyErr_SetString(PyExc_ValueError, "idf and coef must have `width` rows");
        goto done;
    }
    Py_ssize_t labels = n_coef / width;
    if (n_z % labels != 0) {
        PyErr_SetString(PyExc_ValueError, "z must have one column per label");
        goto done;
    }
    Py_ssize_t texts = n_z / labels;
    const double *idf_p = idf.view.buf, *tf_p = tf.view.buf, *coef_p = coef.view.buf;
    double *z_p = z.view.buf;
    /* each text's distinct features' weights, kept for the second pass over them */
    double *val = PyMem_Malloc(sizeof(double) * (n_keys ? n_keys : 1));
    Py_ssize_t *col = PyMem_Malloc(sizeof(Py_ssize_t) * (n_keys ? n_keys : 1));
    if (!val || !col) {
        PyMem_Free(val);
        PyMem_Free(col);
        PyErr_NoMemory();
        goto done;
    }
    int ok = key_size == 4
                 ? score_keys32(keys.view.buf, n_keys, width, texts, labels, idf_p, tf_p, n_tf,
                                coef_p, z_p, val, col)
                 : score_keys64(keys.view.buf, n_keys, width, texts, labels, idf_p, tf_p, n_tf,
                                coef_p, z_p, val, col);
    if (!ok) PyErr_SetString(PyExc_ValueError, "keys must be sorted, within texts × width");
    PyMem_Free(val);
    PyMem_Free(col);
    if (!PyErr_Occurred()) result = Py_NewRef(Py_None);
done:
    release(&keys);
    release(&idf);
    release(&tf);
    release(&coef);
    release(&z);
    return result;
}

/* The tokenizer of classify/keywords.py, `[#@]?\w+(?:'\w+)?|[!?]+|[emoji]` as re.findall
 * reads it (\w: what _sre calls a word character, Py_UNICODE_ISALNUM or '_'), on a text already
 * lowercased. Returns (tokens, words): words are the word tokens without their # or @, what
 * keywords.plain_words gives. tests/classify/test_kernels.py checks both against the regex. */
#define IS_WORD(ch) (Py_UNICODE_ISALNUM(ch) || (ch) == '_')
#define IS_EMOJI(ch) (((ch) >= 0x1F300 && (ch) <= 0x1FAFF) || ((ch) >= 0x2600 && (ch) <= 0x27BF))

static PyObject *tokens_and_words(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text);
    PyObject *tokens = PyList_New(0), *words = PyList_New(0);
    if (!tokens || !words) goto fail;
    Py_ssize_t i = 0;
    while (i < n) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        Py_ssize_t start = i, end = -1, word_start = -1;
        Py_ssize_t j = (ch == '#' || ch == '@') ? i + 1 : i;
        if (j < n && IS_WORD(PyUnicode_READ(kind, data, j))) {
            word_start = j;
            while (j < n && IS_WORD(PyUnicode_READ(kind, data, j))) j++;
            if (j + 1 < n && PyUnicode_READ(kind, data, j) == '\'' &&
                IS_WORD(PyUnicode_READ(kind, data, j + 1))) {
                j++;
                while (j < n && IS_WORD(PyUnicode_READ(kind, data, j))) j++;
            }
            end = j;
        } else if (ch == '!' || ch == '?') {
            j = i;
            while (j < n) {
                Py_UCS4 c = PyUnicode_READ(kind, data, j);
                if (c != '!' && c != '?') break;
                j++;
            }
            end = j;
        } else if (IS_EMOJI(ch)) {
            end = i + 1;
        }
        if (end < 0) {
            i++;
            continue;
        }
        PyObject *token = PyUnicode_Substring(text, start, end);
        if (!token || PyList_Append(tokens, token) < 0) {
            Py_XDECREF(token);
            goto fail;
        }
        if (word_start >= 0) {
            PyObject *word = word_start == start ? Py_NewRef(token)
                                                  : PyUnicode_Substring(text, word_start, end);
            if (!word || PyList_Append(words, word) < 0) {
                Py_XDECREF(word);
                Py_DECREF(token);
                goto fail;
            }
            Py_DECREF(word);
        }
        Py_DECREF(token);
        i = end;
    }
    PyObject *pair = PyTuple_Pack(2, tokens, words);
    Py_DECREF(tokens);
    Py_DECREF(words);
    return pair;
fail:
    Py_XDECREF(tokens);
    Py_XDECREF(words);
    return NULL;
}

/* PhraseIndex.find_words' walk (classify/keywords.py): at each word that starts a phrase, the
 * first of its candidates (longest first) whose words follow there is a hit and its words are
 * taken; else the next word. `starts` maps a word to its candidates, each a tuple
 * (words tuple, phrase, name). Returns the hits in order as (name, phrase) tuples. */
static PyObject *phrase_hits(PyObject *self, PyObject *args) {
    PyObject *ws, *starts;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &ws, &PyDict_Type, &starts)) return NULL;
    PyObject *hits = PyList_New(0);
    if (!hits) return NULL;
    Py_ssize_t i = 0;
    while (i < PyList_GET_SIZE(ws)) {
        Py_ssize_t n = PyList_GET_SIZE(ws), step = 1;
        PyObject *candidates = PyDict_GetItemWithError(starts, PyList_GET_ITEM(ws, i));
        if (candidates == NULL && PyErr_Occurred()) goto fail;
        if (candidates != NULL) {
            if (!PyList_Check(candidates)) {
                PyErr_SetString(PyExc_TypeError, "phrase candidates must be a list");
                goto fail;
            }
            for (Py_ssize_t c = 0; c < PyList_GET_SIZE(candidates); c++) {
                PyObject *cand = PyList_GET_ITEM(candidates, c);
                if (!PyTuple_Check(cand) || PyTuple_GET_SIZE(cand) != 3 ||
                    !PyTuple_Check(PyTuple_GET_ITEM(cand, 0))) {
                    PyErr_SetString(PyExc_TypeError, "a candidate is (words, phrase, name)");
                    goto fail;
                }
                PyObject *key = PyTuple_GET_ITEM(cand, 0);
                Py_ssize_t len = PyTuple_GET_SIZE(key);
                if (len == 0 || i + len > n) continue;
                int same = 1;
                for (Py_ssize_t j = 0; j < len && same; j++) {
                    PyObject *a = PyList_GET_ITEM(ws, i + j), *b = PyTuple_GET_ITEM(key, j);
                    if (a == b) continue;
                    int eq = PyObject_RichCompareBool(a, b, Py_EQ);
                    if (eq < 0) goto fail;
                    same = eq;
                }
                if (!same) continue;
                PyObject *hit = PyTuple_Pack(2, PyTuple_GET_ITEM(cand, 2), PyTuple_GET_ITEM(cand, 1));
                if (!hit || PyList_Append(hits, hit) < 0) {
                    Py_XDECREF(hit);
                    goto fail;
                }
                Py_DECREF(hit);
                step = len;
                break;
            }
        }
        i += step;
    }
    return hits;
fail:
    Py_DECREF(hits);
    return NULL;
}

/* The known character n-gram columns of each word (classify/learned.py, _WordGrams): the 2- to
 * 5-grams of " word " in features.word_grams' order, each looked up in `vocabulary`; returns
 * (columns, how many per word) as bytes of int64, for numpy.frombuffer. */
static PyObject *gram_columns(PyObject *self, PyObject *args) {
    PyObject *words, *vocabulary;
    if (!PyArg_ParseTuple(args, "O!O!", &PyList_Type, &words, &PyDict_Type, &vocabulary))
        return NULL;
    Py_ssize_t n_words = PyList_GET_SIZE(words), cap = 64, used = 0;
    int64_t *cols = PyMem_Malloc(sizeof(int64_t) * cap);
    int64_t *counts = PyMem_Malloc(sizeof(int64_t) * (n_words ? n_words : 1));
    PyObject *space = PyUnicode_FromOrdinal(' '), *result = NULL;
    if (!cols || !counts || !space) {
        PyErr_NoMemory();
        goto done;
    }
    for (Py_ssize_t w = 0; w < n_words; w++) {
        PyObject *word = PyList_GET_ITEM(words, w);
        if (!PyUnicode_Check(word)) {
            PyErr_SetString(PyExc_TypeError, "words must be str");
            goto done;
        }
        PyObject *left = PyUnicode_Concat(space, word);
        PyObject *padded = left ? PyUnicode_Concat(left, space) : NULL;
        Py_XDECREF(left);
        if (!padded) goto done;
        Py_ssize_t size = PyUnicode_GET_LENGTH(padded), found = 0;
        for (Py_ssize_t g = 2; g <= 5 && g <= size; g++) {
            for (Py_ssize_t i = 0; i + g <= size; i++) {
                PyObject *gram = PyUnicode_Substring(padded, i, i + g);
                if (!gram) {
                    Py_DECREF(padded);
                    goto done;
                }
                PyObject *col = PyDict_GetItemWithError(vocabulary, gram);
                Py_DECREF(gram);
                if (col == NULL) {
                    if (PyErr_Occurred()) {
                        Py_DECREF(padded);
                        goto done;
                    }
                    continue;
                }
                long long value = PyLong_AsLongLong(col);
                if (value == -1 && PyErr_Occurred()) {
                    Py_DECREF(padded);
                    goto done;
                }
                if (used == cap) {
                    int64_t *more = PyMem_Realloc(cols, sizeof(int64_t) * cap * 2);
                    if (!more) {
                        Py_DECREF(padded);
                        PyErr_NoMemory();
                        goto done;
                    }
                    cols = more;
                    cap *= 2;
                }
                cols[used++] = value;
                found++;
            }
        }
        Py_DECREF(padded);
        counts[w] = found;
    }
    PyObject *c = PyBytes_FromStringAndSize((const char *)cols, used * sizeof(int64_t));
    PyObject *k = PyBytes_FromStringAndSize((const char *)counts, n_words * sizeof(int64_t));
    if (c && k) result = PyTuple_Pack(2, c, k);
    Py_XDECREF(c);
    Py_XDECREF(k);
done:
    PyMem_Free(cols);
    PyMem_Free(counts);
    Py_XDECREF(space);
    return result;
}

/* gram_keys(ids, rows, start, count, cols, width, out): for each word i of a batch, in order,
 * the keys rows[i] * width + c of the columns c its n-grams have, cols[start[ids[i]] :
 * start[ids[i]] + count[ids[i]]], written into out (int64, as long as the sum of the counts). */
static PyObject *gram_keys(PyObject *self, PyObject *args) {
    PyObject *ids_o, *rows_o, *start_o, *count_o, *cols_o, *out_o;
    Py_ssize_t width;
    if (!PyArg_ParseTuple(args, "OOOOOnO", &ids_o, &rows_o, &start_o, &count_o, &cols_o, &width,
                          &out_o))
        return NULL;
    PyObject *objs[6] = {ids_o, rows_o, start_o, count_o, cols_o, out_o};
    static const char *const names[6] = {"ids", "rows", "start", "count", "cols", "+out"};
    held_buffer b[6];
    if (int64_buffers(objs, b, 6, names) < 0) return NULL;
    held_buffer *ids = &b[0];
    held_buffer *rows = &b[1];
    held_buffer *start = &b[2];
    held_buffer *count = &b[3];
    held_buffer *cols = &b[4];
    held_buffer *out = &b[5];
    PyObject *result = NULL;
    Py_ssize_t n = ids->view.len / 8, n_words = start->view.len / 8;
    Py_ssize_t n_cols = cols->view.len / 8, n_out = out->view.len / 8, p = 0;
    const int64_t *id = ids->view.buf, *row = rows->view.buf, *st = start->view.buf;
    const int64_t *ct = count->view.buf, *cl = cols->view.buf;
    int64_t *o = out->view.buf;
    if (rows->view.len != ids->view.len || count->view.len != start->view.len) {
        PyErr_SetString(PyExc_ValueError, "ids and rows, start and count must be as long");
        goto done;
    }
    for (Py_ssize_t i = 0; i < n; i++) {
        int64_t k = id[i];
        if (k < 0 || k >= n_words || st[k] < 0 || ct[k] < 0 || st[k] + ct[k] > n_cols ||
            p + ct[k] > n_out) {
            PyErr_SetString(PyExc_ValueError, "a word id or its columns out of range");
            goto done;
        }
        int64_t base = row[i] * (int64_t)width;
        const int64_t *c = cl + st[k];
        for (int64_t j = 0; j < ct[k]; j++) o[p++] = base + c[j];
    }
    if (p != n_out) {
        PyErr_SetString(PyExc_ValueError, "out must be as long as the words' columns");
        goto done;
    }
    result = Py_NewRef(Py_None);
done:
    release_all(b, 6);
    return result;
}

/* has_run(text, length): whether one non-whitespace character comes `length` times in a row
 * (classify/spam.py's `(\S)\1{length-1}`, \S as _sre reads it: not Py_UNICODE_ISSPACE). */
static PyObject *has_run(PyObject *self, PyObject *args) {
    PyObject *text;
    Py_ssize_t length;
    if (!PyArg_ParseTuple(args, "Un", &text, &length)) return NULL;
    if (length < 1) {
        PyErr_SetString(PyExc_ValueError, "length must be 1 or more");
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), run = 0;
    Py_UCS4 prev = 0;
    for (Py_ssize_t i = 0; i < n; i++) {
        Py_UCS4 ch = PyUnicode_READ(kind, data, i);
        run = (i > 0 && ch == prev) ? run + 1 : 1;
        prev = ch;
        if (run >= length && !Py_UNICODE_ISSPACE(ch)) Py_RETURN_TRUE;
    }
    Py_RETURN_FALSE;
}

/* lookup(index, keys) -> bytes of int64: index[key] for each key in order, -1 where the key is
 * missing (what np.fromiter(map(index.get, keys)) gave, with None as -1). */
static PyObject *lookup(PyObject *self, PyObject *args) {
    PyObject *index, *keys;
    if (!PyArg_ParseTuple(args, "O!O!", &PyDict_Type, &index, &PyList_Type, &keys)) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(keys);
    PyObject *out = PyBytes_FromStringAndSize(NULL, n * (Py_ssize_t)sizeof(int64_t));
    if (!out) return NULL;
    int64_t *o = (int64_t *)PyBytes_AS_STRING(out);
    for (Py_ssize_t i = 0; i < n; i++) {
        PyObject *found = PyDict_GetItemWithError(index, PyList_GET_ITEM(keys, i));
        if (found == NULL) {
            if (PyErr_Occurred()) goto fail;
            o[i] = -1;
            continue;
        }
        long long v = PyLong_AsLongLong(found);
        if (v == -1 && PyErr_Occurred()) goto fail;
        if (v < 0) {
            PyErr_SetString(PyExc_ValueError, "index values must be 0 or more");
            goto fail;
        }
        o[i] = v;
    }
    return out;
fail:
    Py_DECREF(out);
    return NULL;
}

/* Word pairs by hash (classify/learned.py, TextModel._pairs): an open-addressing table of the
 * keys left column × width + right column of the pairs a model knows, with their columns;
 * capacity a power of two, empty slots -1. */
static inline uint64_t mix64(uint64_t x) {
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    return x;
}

/* pair_table(keys, cols, table_keys, table_cols): put each (key, col) in the table. */
static PyObject *pair_table(PyObject *self, PyObject *args) {
    PyObject *keys_o, *cols_o, *tk_o, *tc_o;
    if (!PyArg_ParseTuple(args, "OOOO", &keys_o, &cols_o, &tk_o, &tc_o)) return NULL;
    PyObject *objs[4] = {keys_o, cols_o, tk_o, tc_o};
    static const char *const names[4] = {"keys", "cols", "+table_keys", "+table_cols"};
    held_buffer b[4];
    if (int64_buffers(objs, b, 4, names) < 0) return NULL;
    held_buffer *keys = &b[0];
    held_buffer *cols = &b[1];
    held_buffer *tk = &b[2];
    held_buffer *tc = &b[3];
    PyObject *result = NULL;
    Py_ssize_t n = keys->view.len / 8, cap = tk->view.len / 8;
    if (cols->view.len != keys->view.len || tc->view.len != tk->view.len || cap < 2 * n ||
        (cap & (cap - 1)) != 0) {
        PyErr_SetString(PyExc_ValueError,
                        "the table needs a power-of-two size, at least twice the keys");
        goto done;
    }
    const int64_t *k = keys->view.buf, *c = cols->view.buf;
    int64_t *t = tk->view.buf, *v = tc->view.buf;
    for (Py_ssize_t i = 0; i < cap; i++) t[i] = -1;
    for (Py_ssize_t i = 0; i < n; i++) {
        if (k[i] < 0) {
            PyErr_SetString(PyExc_ValueError, "pair keys must be 0 or more");
            goto done;
        }
        uint64_t slot = mix64((uint64_t)k[i]) & (uint64_t)(cap - 1);
        for (Py_ssize_t probe = 0; probe < cap && t[slot] != -1 && t[slot] != k[i]; probe++)
            slot = (slot + 1) & (uint64_t)(cap - 1);
        t[slot] = k[i];
        v[slot] = c[i];
    }
    result = Py_NewRef(Py_None);
done:
    release_all(b, 4);
    return result;
}

/* pair_columns(rows, cols, unknown, width, table_keys, table_cols, out_rows, out_cols) -> m:
 * for each two consecutive words of one text (same row), both known (not `unknown`), whose
 * pair the table holds, in order: its row and column into out_rows[:m], out_cols[:m]. */
static PyObject *pair_columns(PyObject *self, PyObject *args) {
    PyObject *rows_o, *cols_o, *tk_o, *tc_o, *or_o, *oc_o;
    Py_ssize_t unknown, width;
    if (!PyArg_ParseTuple(args, "OOnnOOOO", &rows_o, &cols_o, &unknown, &width, &tk_o, &tc_o,
                          &or_o, &oc_o))
        return NULL;
    PyObject *objs[6] = {rows_o, cols_o, tk_o, tc_o, or_o, oc_o};
    static const char *const names[6] = {"rows", "cols", "table_keys", "table_cols", "+out_rows", "+out_cols"};
    held_buffer b[6];
    if (int64_buffers(objs, b, 6, names) < 0) return NULL;
    held_buffer *rows = &b[0];
    held_buffer *cols = &b[1];
    held_buffer *tk = &b[2];
    held_buffer *tc = &b[3];
    held_buffer *orows = &b[4];
    held_buffer *ocols = &b[5];
    PyObject *result = NULL;
    Py_ssize_t n = cols->view.len / 8, cap = tk->view.len / 8, room = orows->view.len / 8;
    if (rows->view.len != cols->view.len || tc->view.len != tk->view.len || cap == 0 ||
        (cap & (cap - 1)) != 0 || ocols->view.len != orows->view.len || room + 1 < n) {
        PyErr_SetString(PyExc_ValueError, "rows and cols, the table, or the outputs do not fit");
        goto done;
    }
    const int64_t *r = rows->view.buf, *c = cols->view.buf, *t = tk->view.buf, *v = tc->view.buf;
    int64_t *out_r = orows->view.buf, *out_c = ocols->view.buf;
    Py_ssize_t m = 0;
    for (Py_ssize_t i = 0; i + 1 < n; i++) {
        if (r[i] != r[i + 1] || c[i] == unknown || c[i + 1] == unknown) continue;
        int64_t key = c[i] * (int64_t)width + c[i + 1];
        uint64_t slot = mix64((uint64_t)key) & (uint64_t)(cap - 1);
        /* at most one look at each slot: a full table passed in cannot loop for ever */
        for (Py_ssize_t probe = 0; probe < cap && t[slot] != -1 && t[slot] != key; probe++)
            slot = (slot + 1) & (uint64_t)(cap - 1);
        if (t[slot] == key) {
            out_r[m] = r[i];
            out_c[m] = v[slot];
            m++;
        }
    }
    result = PyLong_FromSsize_t(m);
done:
    release_all(b, 6);
    return result;
}

/* vader_words(text) -> (words, lowered): VADER's SentiText words (text.split(), each stripped
 * of string.punctuation at both ends unless that leaves 2 characters or fewer) and each
 * lowercased by str.lower (classify/vader.py). */
static int is_ascii_punct(Py_UCS4 ch) {
    return ch < 128 && ch > 32 && ch != 127 && !Py_UNICODE_ISALNUM(ch);
}

/* str.lower of a word: an ASCII word in C (only A-Z change; one without them is returned
 * as it is), any other by the str method, looked up by an interned name (PyObject_CallMethod
 * parsed its format string for every word: 1 % of the all-in-one pipeline's instructions). */
static PyObject *lowered(PyObject *word) {
    static PyObject *lower_name = NULL;
    if (PyUnicode_IS_ASCII(word)) {
        Py_ssize_t n = PyUnicode_GET_LENGTH(word), i = 0;
        const Py_UCS1 *s = PyUnicode_1BYTE_DATA(word);
        while (i < n && !(s[i] >= 'A' && s[i] <= 'Z')) i++;
        if (i == n) return Py_NewRef(word);
        PyObject *out = PyUnicode_New(n, 127);
        if (!out) return NULL;
        Py_UCS1 *d = PyUnicode_1BYTE_DATA(out);
        for (Py_ssize_t j = 0; j < n; j++) d[j] = (s[j] >= 'A' && s[j] <= 'Z') ? s[j] + 32 : s[j];
        return out;
    }
    if (!lower_name && !(lower_name = PyUnicode_InternFromString("lower"))) return NULL;
    return PyObject_CallMethodNoArgs(word, lower_name);
}

static PyObject *vader_words(PyObject *self, PyObject *text) {
    if (!PyUnicode_Check(text)) {
        PyErr_Format(PyExc_TypeError, "expected str, got %s", Py_TYPE(text)->tp_name);
        return NULL;
    }
    PyObject *parts = PyUnicode_Split(text, NULL, -1);
    if (!parts) return NULL;
    Py_ssize_t n = PyList_GET_SIZE(parts);
    PyObject *words = PyList_New(n), *lower = PyList_New(n);
    if (!words || !lower) goto fail;
    for (Py_ssize_t w = 0; w < n; w++) {
        PyObject *token = PyList_GET_ITEM(parts, w), *word;
        int kind = PyUnicode_KIND(token);
        const void *data = PyUnicode_DATA(token);
        Py_ssize_t a = 0, b = PyUnicode_GET_LENGTH(token);
        while (a < b && is_ascii_punct(PyUnicode_READ(kind, data, a))) a++;
        while (b > a && is_ascii_punct(PyUnicode_READ(kind, data, b - 1))) b--;
        if (b - a <= 2 || (a == 0 && b == PyUnicode_GET_LENGTH(token)))
            word = Py_NewRef(token);
        else if (!(word = PyUnicode_Substring(token, a, b)))
            goto fail;
        PyList_SET_ITEM(words, w, word);
        PyObject *low = lowered(word);
        if (!low) goto fail;
        PyList_SET_ITEM(lower, w, low);
    }
    Py_DECREF(parts);
    PyObject *pair = PyTuple_Pack(2, words, lower);
    Py_DECREF(words);
    Py_DECREF(lower);
    return pair;
fail:
    Py_DECREF(parts);
    Py_XDECREF(words);
    Py_XDECREF(lower);
    return NULL;
}

/* IS_WORD without the Unicode tables' function calls for ASCII, most of a post's text */
static inline int is_word_char(Py_UCS4 ch) {
    if (ch < 128) {
        return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') ||
               ch == '_';
    }
    return IS_WORD(ch);
}

static int literal_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, PyObject *lit,
                      Py_ssize_t *end) {
    Py_ssize_t m = PyUnicode_GET_LENGTH(lit);
    if (m == 0 || i + m > n) return 0;
    int lkind = PyUnicode_KIND(lit);
    const void *ldata = PyUnicode_DATA(lit);
    for (Py_ssize_t j = 0; j < m; j++) {
        if (PyUnicode_READ(kind, data, i + j) != PyUnicode_READ(lkind, ldata, j)) return 0;
    }
    if (i + m < n && is_word_char(PyUnicode_READ(kind, data, i + m))) return 0;
    *end = i + m;
    return 1;
}

static int bad_entry(void) {
    PyErr_SetString(PyExc_TypeError,
                    "cue_count: index maps one character to a tuple of entries, and each entry "
                    "is a str or a (\"units\", tuple of str) pair");
    return -1;
}

/* 1 and the match's end if `entry` matches at i, 0 if not, -1 (an error set) if it is not an
 * entry; checked where met, so a call costs nothing for the entries it never reaches */
static int entry_at(int kind, const void *data, Py_ssize_t n, Py_ssize_t i, PyObject *entry,
                    Py_ssize_t *end) {
    if (PyUnicode_CheckExact(entry)) return literal_at(kind, data, n, i, entry, end);
    if (!PyTuple_CheckExact(entry) || PyTuple_GET_SIZE(entry) != 2) return bad_entry();
    PyObject *units = PyTuple_GET_ITEM(entry, 1);
    if (!PyTuple_CheckExact(units)) return bad_entry();
    Py_ssize_t k = i;
    while (k < n && Py_UNICODE_ISDECIMAL(PyUnicode_READ(kind, data, k))) k++;
    if (k == i) return 0;
    while (k < n && Py_UNICODE_ISSPACE(PyUnicode_READ(kind, data, k))) k++;
    for (Py_ssize_t u = 0; u < PyTuple_GET_SIZE(units); u++) {
        PyObject *unit = PyTuple_GET_ITEM(units, u);
        if (!PyUnicode_CheckExact(unit)) return bad_entry();
        if (literal_at(kind, data, n, k, unit, end)) return 1;
    }
    return 0;
}

/* cue_count(text, index, fallback, first_only): the matches of a care-cue regex
 * (classify/cue_table.py) in lowercased `text`, as `len(re.findall(...))` counts them: at each
 * position not preceded by a word character or '#', the first entry (in order) that matches and
 * is not followed by a word character is a match, and the search goes on after it. An entry is
 * a str (the literal) or a tuple ("units", units): decimal digits, any whitespace, then one of
 * the units. `index` maps a character to the entries that may start with it, in table order;
 * `fallback` is the entries for any other character (the units ones). With `first_only`, stops
 * at the first match (`search(...) is not None` as count > 0). */
static PyObject *cue_count(PyObject *self, PyObject *args) {
    PyObject *text, *index, *fallback;
    int first_only = 0;
    if (!PyArg_ParseTuple(args, "UO!O!|p", &text, &PyDict_Type, &index, &PyTuple_Type, &fallback,
                          &first_only)) {
        return NULL;
    }
    int kind = PyUnicode_KIND(text);
    const void *data = PyUnicode_DATA(text);
    Py_ssize_t n = PyUnicode_GET_LENGTH(text), count = 0, i = 0, end = 0;
    while (i < n) {
        if (i > 0) {
            Py_UCS4 before = PyUnicode_READ(kind, data, i - 1);
            if (is_word_char(before) || before == '#') {
                i++;
                continue;
            }
        }
        /* the entries that can start with this character, in table order */
        PyObject *ch = PyUnicode_FromOrdinal(PyUnicode_READ(kind, data, i));
        if (ch == NULL) return NULL;
        PyObject *entries = PyDict_GetItemWithError(index, ch);
        Py_DECREF(ch);
        if (entries == NULL) {
            if (PyErr_Occurred()) return NULL;
            entries = fallback;
        }
        if (!PyTuple_CheckExact(entries)) return bad_entry(), NULL;
        int found = 0;
        for (Py_ssize_t e = 0; e < PyTuple_GET_SIZE(entries) && !found; e++) {
            found = entry_at(kind, data, n, i, PyTuple_GET_ITEM(entries, e), &end);
            if (found < 0) return NULL;
        }
        if (!found) {
            i++;
            continue;
        }
        count++;
        if (first_only) break;
        i = end;
    }
    return PyLong_FromSsize_t(count);
}

static PyMethodDef methods[] = {
    {"vader_words", vader_words, METH_O,
     "vader_words(text) -> (words, lowered): VADER's words of a text (classify/vader.py)."},
    {"pair_table", pair_table, METH_VARARGS,
     "pair_table(keys, cols, table_keys, table_cols): fill a word-pair hash table."},
    {"pair_columns", pair_columns, METH_VARARGS,
     "pair_columns(rows, cols, unknown, width, table_keys, table_cols, out_rows, out_cols) "
     "-> m: the known word pairs of consecutive words."},
    {"lookup", lookup, METH_VARARGS,
     "lookup(index, keys) -> int64 bytes: index[key] per key, -1 where missing."},
    {"has_run", has_run, METH_VARARGS,
     "has_run(text, length): one non-whitespace character `length` times in a row."},
    {"gram_columns", gram_columns, METH_VARARGS,
     "gram_columns(words, vocabulary) -> (columns, counts) as int64 bytes."},
    {"gram_keys", gram_keys, METH_VARARGS,
     "gram_keys(ids, rows, start, count, cols, width, out): each word's n-gram keys."},
    {"phrase_hits", phrase_hits, METH_VARARGS,
     "phrase_hits(words, starts) -> [(name, phrase)]: PhraseIndex's walk (keywords.py)."},
    {"tokens_and_words", tokens_and_words, METH_O,
     "tokens_and_words(lowered_text) -> (tokens, words): classify/keywords.py's tokenizer."},
    {"cue_count", cue_count, METH_VARARGS,
     "cue_count(lowered_text, index, fallback, first_only=False) -> the cue regex's matches "
     "(classify/cue_table.py)."},
    {"tfidf_scores", tfidf_scores, METH_VARARGS,
     "tfidf_scores(keys, width, idf, tf, coef, z): add each text's TF-IDF × coef into z."},
    {NULL, NULL, 0, NULL},
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "classify._kernels",
    "Compiled loops for scoring a batch with a learned model (see _kernels.c).", -1, methods,
};

PyMODINIT_FUNC PyInit__kernels(void) { return PyModule_Create(&module); }
