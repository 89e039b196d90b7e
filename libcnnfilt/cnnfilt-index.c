/* cnnfilt-index.c: an index of image embeddings, and search in it
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One SQLite file (write-ahead log): the model's identity and the
 * embedding dimension, then per image its path, size and modification
 * time (so that an unchanged file is not embedded again) and its
 * embedding, L2-normalised, as a float32 blob. Search is exact: cosine
 * similarity is the dot product of normalised vectors, taken against every
 * vector. The vectors are read into memory once, as half floats (half the
 * memory, and half the time of a scan, which the memory's speed bounds),
 * kept until the index changes; the rows that may be among the best by
 * their half-float score are scored again from their float32 blobs, so the
 * results are those of float32 throughout (cnnfilt-index-vectors.c).
 * Grouping duplicates compares blocks of rows as matrix products
 * (oneDNN's sgemm), never holding all pairs.
 */
#include "cnnfilt-index.h"
#include "cnnfilt-error.h"
#include "cnnfilt-device.h"
#include "cnnfilt-index-private.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <math.h>
#include <oneapi/dnnl/dnnl.h>
#include <sqlite3.h>
#include <string.h>
#include <unistd.h>

struct _CnnfiltIndex {
  GObject parent_instance;
  gchar *path;
  sqlite3 *db;
  gchar *model;
  guint dimension;
  /* every vector as half floats, row by row, their rows in the table and
   * their paths: read on the first search */
  guint16 *half;
  gint64 *rowids;
  GPtrArray *paths;
  sqlite3_stmt *read_row;  /* one row's float32 embedding, by rowid */
};

G_DEFINE_TYPE (CnnfiltIndex, cnnfilt_index, G_TYPE_OBJECT)

static void
forget_vectors (CnnfiltIndex *self)
{
  g_clear_pointer (&self->half, g_free);
  g_clear_pointer (&self->rowids, g_free);
  g_clear_pointer (&self->paths, g_ptr_array_unref);
}

static void
cnnfilt_index_finalize (GObject *object)
{
  CnnfiltIndex *self = CNNFILT_INDEX (object);
  forget_vectors (self);
  sqlite3_finalize (self->read_row);
  if (self->db != NULL)
    sqlite3_close (self->db);
  g_free (self->path);
  g_free (self->model);
  G_OBJECT_CLASS (cnnfilt_index_parent_class)->finalize (object);
}

static void
cnnfilt_index_class_init (CnnfiltIndexClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = cnnfilt_index_finalize;
}

static void
cnnfilt_index_init (CnnfiltIndex *self)
{
}

static gboolean
db_error (CnnfiltIndex *self, GError **error, const gchar *what)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s: %s", self->path, what,
               sqlite3_errmsg (self->db));
  return FALSE;
}

static gboolean
exec (CnnfiltIndex *self, const gchar *sql, GError **error)
{
  char *message = NULL;
  if (sqlite3_exec (self->db, sql, NULL, NULL, &message) == SQLITE_OK)
    return TRUE;
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s", self->path,
               message ? message : sqlite3_errmsg (self->db));
  sqlite3_free (message);
  return FALSE;
}

static const gchar schema[] =
    "PRAGMA journal_mode=WAL;"
    "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
    "CREATE TABLE IF NOT EXISTS images (path TEXT PRIMARY KEY, size INTEGER NOT NULL,"
    " mtime INTEGER NOT NULL, embedding BLOB NOT NULL);";

/* The model and dimension the index was made with, if any. */
static gboolean
read_meta (CnnfiltIndex *self, GError **error)
{
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (self->db, "SELECT key, value FROM meta", -1, &stmt, NULL) != SQLITE_OK)
    return db_error (self, error, "reading the model");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const gchar *key = (const gchar *) sqlite3_column_text (stmt, 0);
      const gchar *value = (const gchar *) sqlite3_column_text (stmt, 1);
      if (g_strcmp0 (key, "model") == 0)
        {
          g_free (self->model);
          self->model = g_strdup (value);
        }
      else if (g_strcmp0 (key, "dimension") == 0)
        self->dimension = (guint) g_ascii_strtoull (value ? value : "0", NULL, 10);
    }
  sqlite3_finalize (stmt);
  return TRUE;
}

/* An index in a folder this process may not write, whose write-ahead log
 * cannot be opened: read as an immutable file (what the last writer
 * checkpointed). */
static gboolean
reopen_immutable (CnnfiltIndex *self)
{
  sqlite3_close (self->db);
  self->db = NULL;
  g_autofree gchar *escaped = g_uri_escape_string (self->path, "/", FALSE);
  g_autofree gchar *uri = g_strdup_printf ("file:%s?immutable=1", escaped);
  return sqlite3_open_v2 (uri, &self->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL) == SQLITE_OK &&
         read_meta (self, NULL) && self->model != NULL;
}

/**
 * cnnfilt_index_open:
 * @path: the index file, created when missing; ":memory:" for an index
 *   that lives only in this process
 * @error: return location for a #GError
 *
 * Opens an embedding index: one SQLite file written through a write-ahead
 * log, so that an interrupted writer leaves every committed image and a
 * valid file. A file this process may not write is opened to read.
 *
 * Returns: (transfer full): the index, or %NULL with @error naming @path
 *   (not a database, not writable, a corrupt file)
 */
CnnfiltIndex *
cnnfilt_index_open (const gchar *path, GError **error)
{
  g_return_val_if_fail (path != NULL, NULL);
  g_autoptr (CnnfiltIndex) self = g_object_new (CNNFILT_TYPE_INDEX, NULL);
  self->path = g_strdup (path);
  if (sqlite3_open_v2 (path, &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) !=
      SQLITE_OK)
    {
      db_error (self, error, "cannot open");
      return NULL;
    }
  sqlite3_busy_timeout (self->db, 10000);
  /* a file this process may not write is opened to read: search, info and
   * export work, writes fail naming the file */
  gboolean read_only = sqlite3_db_readonly (self->db, "main") == 1;
  if ((!read_only && !exec (self, schema, error)) || !read_meta (self, error))
    {
      if (read_only && reopen_immutable (self))
        {
          g_clear_error (error);
          return g_steal_pointer (&self);
        }
      g_prefix_error (error, "not an embedding index: ");
      return NULL;
    }
  return g_steal_pointer (&self);
}

/**
 * cnnfilt_index_get_path:
 * @index: an index
 *
 * Returns: the index file
 */
const gchar *
cnnfilt_index_get_path (CnnfiltIndex *index)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  return index->path;
}

/**
 * cnnfilt_index_get_model:
 * @index: an index
 *
 * Returns: (nullable): the identity of the model its embeddings come from,
 *   or %NULL for a new index
 */
const gchar *
cnnfilt_index_get_model (CnnfiltIndex *index)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  return index->model;
}

/**
 * cnnfilt_index_get_dimension:
 * @index: an index
 *
 * Returns: the length of its embeddings; 0 for a new index
 */
guint
cnnfilt_index_get_dimension (CnnfiltIndex *index)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), 0);
  return index->dimension;
}

/**
 * cnnfilt_index_get_count:
 * @index: an index
 *
 * Returns: how many images it holds
 */
guint64
cnnfilt_index_get_count (CnnfiltIndex *index)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), 0);
  sqlite3_stmt *stmt = NULL;
  guint64 count = 0;
  if (sqlite3_prepare_v2 (index->db, "SELECT COUNT(*) FROM images", -1, &stmt, NULL) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    count = (guint64) sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return count;
}

/**
 * cnnfilt_index_set_model:
 * @index: an index
 * @model: the model's identity (a file name and its checksum, say)
 * @dimension: the length of its embeddings
 * @error: return location for a #GError
 *
 * Records the model of a new index, or checks that an index was made with
 * this one: embeddings of two models cannot be compared.
 *
 * Returns: %TRUE, or %FALSE with @error saying which model the index has
 */
gboolean
cnnfilt_index_set_model (CnnfiltIndex *index, const gchar *model, guint dimension, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  g_return_val_if_fail (model != NULL && dimension > 0, FALSE);
  if (index->model != NULL)
    {
      if (g_str_equal (index->model, model) && index->dimension == dimension)
        return TRUE;
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s holds embeddings of %s (%u values), not of %s (%u values): use "
                   "another index, or the same model", index->path, index->model,
                   index->dimension, model, dimension);
      return FALSE;
    }
  sqlite3_stmt *stmt = NULL;
  g_autofree gchar *dim = g_strdup_printf ("%u", dimension);
  const gchar *keys[] = { "model", "dimension" }, *values[] = { model, dim };
  for (guint i = 0; i < 2; i++)
    {
      if (sqlite3_prepare_v2 (index->db, "INSERT OR REPLACE INTO meta VALUES (?, ?)", -1, &stmt,
                              NULL) != SQLITE_OK)
        return db_error (index, error, "recording the model");
      sqlite3_bind_text (stmt, 1, keys[i], -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, values[i], -1, SQLITE_TRANSIENT);
      int status = sqlite3_step (stmt);
      sqlite3_finalize (stmt);
      if (status != SQLITE_DONE)
        return db_error (index, error, "recording the model");
    }
  index->model = g_strdup (model);
  index->dimension = dimension;
  return TRUE;
}

/**
 * cnnfilt_index_set_info:
 * @index: an index
 * @key: a name of the program's choosing ("model-path", "layer")
 * @value: its value
 * @error: return location for a #GError
 *
 * Keeps a piece of text with the index, such as how its embeddings were
 * made, so that queries can be embedded the same way.
 *
 * Returns: %TRUE, or %FALSE with @error set on a failed write
 */
gboolean
cnnfilt_index_set_info (CnnfiltIndex *index, const gchar *key, const gchar *value, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  g_return_val_if_fail (key != NULL && value != NULL, FALSE);
  g_autofree gchar *stored = g_strconcat ("info.", key, NULL);
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (index->db, "INSERT OR REPLACE INTO meta VALUES (?, ?)", -1, &stmt, NULL) !=
      SQLITE_OK)
    return db_error (index, error, "writing its information");
  sqlite3_bind_text (stmt, 1, stored, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  int status = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return status == SQLITE_DONE || db_error (index, error, "writing its information");
}

/**
 * cnnfilt_index_get_info:
 * @index: an index
 * @key: a name given to cnnfilt_index_set_info()
 *
 * Returns: (transfer full) (nullable): its value, or %NULL
 */
gchar *
cnnfilt_index_get_info (CnnfiltIndex *index, const gchar *key)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  g_autofree gchar *stored = g_strconcat ("info.", key, NULL);
  sqlite3_stmt *stmt = NULL;
  gchar *value = NULL;
  if (sqlite3_prepare_v2 (index->db, "SELECT value FROM meta WHERE key = ?", -1, &stmt, NULL) ==
      SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, stored, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        value = g_strdup ((const gchar *) sqlite3_column_text (stmt, 0));
    }
  sqlite3_finalize (stmt);
  return value;
}

/**
 * cnnfilt_index_is_current:
 * @index: an index
 * @path: an image file, as it was added
 * @size: its size in bytes
 * @mtime: its modification time
 *
 * Returns: %TRUE where @path is indexed with this size and time: it need
 *   not be embedded again
 */
gboolean
cnnfilt_index_is_current (CnnfiltIndex *index, const gchar *path, gint64 size, gint64 mtime)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  sqlite3_stmt *stmt = NULL;
  gboolean current = FALSE;
  if (sqlite3_prepare_v2 (index->db, "SELECT size, mtime FROM images WHERE path = ?", -1, &stmt,
                          NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
      current = sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_int64 (stmt, 0) == size &&
                sqlite3_column_int64 (stmt, 1) == mtime;
    }
  sqlite3_finalize (stmt);
  return current;
}

/**
 * cnnfilt_index_add:
 * @index: an index with a model (cnnfilt_index_set_model())
 * @path: the image file
 * @size: its size in bytes
 * @mtime: its modification time
 * @embedding: (array length=n_values): its embedding
 * @n_values: the embedding's length: the index's dimension
 * @error: return location for a #GError
 *
 * Adds or replaces the embedding of @path, L2-normalised. Outside
 * cnnfilt_index_begin() and cnnfilt_index_commit(), each call is a
 * transaction of its own.
 *
 * Returns: %TRUE, or %FALSE with @error set (a wrong length, a vector of
 *   zeros or non-finite values, a failed write)
 */
gboolean
cnnfilt_index_add (CnnfiltIndex *index, const gchar *path, gint64 size, gint64 mtime,
                   const gfloat *embedding, gsize n_values, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  g_return_val_if_fail (path != NULL && (embedding != NULL || n_values == 0), FALSE);
  if (index->dimension == 0 || n_values != index->dimension)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "%s: an embedding of %" G_GSIZE_FORMAT " values for an index of %u", path,
                   n_values, index->dimension);
      return FALSE;
    }
  gdouble norm = 0;
  for (gsize i = 0; i < n_values; i++)
    norm += (gdouble) embedding[i] * embedding[i];
  norm = sqrt (norm);
  if (!(norm > 0) || !isfinite (norm))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "%s: the embedding is %s, so it has no direction to compare", path,
                   norm == 0 ? "all zeros" : "not finite");
      return FALSE;
    }
  g_autofree gfloat *unit = g_new (gfloat, n_values);
  for (gsize i = 0; i < n_values; i++)
    unit[i] = (gfloat) (embedding[i] / norm);
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (index->db, "INSERT OR REPLACE INTO images VALUES (?, ?, ?, ?)", -1,
                          &stmt, NULL) != SQLITE_OK)
    return db_error (index, error, "adding an image");
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, size);
  sqlite3_bind_int64 (stmt, 3, mtime);
  sqlite3_bind_blob (stmt, 4, unit, (int) (n_values * sizeof (gfloat)), SQLITE_STATIC);
  int status = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (status != SQLITE_DONE)
    return db_error (index, error, "adding an image");
  forget_vectors (index);
  return TRUE;
}

/**
 * cnnfilt_index_remove:
 * @index: an index
 * @path: an indexed image
 * @error: return location for a #GError
 *
 * Returns: %TRUE (also where @path was not indexed), or %FALSE on a failed
 *   write
 */
gboolean
cnnfilt_index_remove (CnnfiltIndex *index, const gchar *path, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (index->db, "DELETE FROM images WHERE path = ?", -1, &stmt, NULL) !=
      SQLITE_OK)
    return db_error (index, error, "removing an image");
  sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
  int status = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  if (status != SQLITE_DONE)
    return db_error (index, error, "removing an image");
  forget_vectors (index);
  return TRUE;
}

/**
 * cnnfilt_index_list_paths:
 * @index: an index
 *
 * Returns: (transfer full) (array zero-terminated=1): the indexed paths,
 *   sorted
 */
gchar **
cnnfilt_index_list_paths (CnnfiltIndex *index)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  GPtrArray *paths = g_ptr_array_new ();
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (index->db, "SELECT path FROM images ORDER BY path", -1, &stmt, NULL) ==
      SQLITE_OK)
    while (sqlite3_step (stmt) == SQLITE_ROW)
      g_ptr_array_add (paths, g_strdup ((const gchar *) sqlite3_column_text (stmt, 0)));
  sqlite3_finalize (stmt);
  g_ptr_array_add (paths, NULL);
  return (gchar **) g_ptr_array_free (paths, FALSE);
}

/**
 * cnnfilt_index_get_embedding:
 * @index: an index
 * @path: an indexed image
 * @n_values: (out): the embedding's length
 *
 * Returns: (transfer full) (array length=n_values) (nullable): the stored,
 *   normalised embedding of @path, or %NULL where it is not indexed
 */
gfloat *
cnnfilt_index_get_embedding (CnnfiltIndex *index, const gchar *path, gsize *n_values)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  *n_values = 0;
  sqlite3_stmt *stmt = NULL;
  gfloat *values = NULL;
  if (sqlite3_prepare_v2 (index->db, "SELECT embedding FROM images WHERE path = ?", -1, &stmt,
                          NULL) == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, path, -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          gsize bytes = (gsize) sqlite3_column_bytes (stmt, 0);
          values = g_memdup2 (sqlite3_column_blob (stmt, 0), bytes);
          *n_values = bytes / sizeof (gfloat);
        }
    }
  sqlite3_finalize (stmt);
  return values;
}

/**
 * cnnfilt_index_begin:
 * @index: an index
 * @error: return location for a #GError
 *
 * Starts a transaction: the images added until cnnfilt_index_commit() are
 * written together, much faster than one by one.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_index_begin (CnnfiltIndex *index, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  return exec (index, "BEGIN IMMEDIATE", error);
}

/**
 * cnnfilt_index_commit:
 * @index: an index
 * @error: return location for a #GError
 *
 * Ends the transaction cnnfilt_index_begin() started: its images are now
 * in the file, whatever happens to the process after.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_index_commit (CnnfiltIndex *index, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  return exec (index, "COMMIT", error);
}

/* Every vector into memory as half floats, once. */
static gboolean
load_vectors (CnnfiltIndex *self, GError **error)
{
  if (self->half != NULL)
    return TRUE;
  sqlite3_stmt *stmt = NULL;
  if (sqlite3_prepare_v2 (self->db, "SELECT rowid, path, embedding FROM images ORDER BY path", -1,
                          &stmt, NULL) != SQLITE_OK)
    return db_error (self, error, "reading the embeddings");
  guint d = self->dimension;
  /* sized once from the count (growing an array of gigabytes copies it) */
  sqlite3_stmt *count = NULL;
  gint64 rows = 0;
  if (sqlite3_prepare_v2 (self->db, "SELECT count(*) FROM images", -1, &count, NULL) == SQLITE_OK &&
      sqlite3_step (count) == SQLITE_ROW)
    rows = sqlite3_column_int64 (count, 0);
  sqlite3_finalize (count);
  self->half = g_try_new (guint16, MAX ((gsize) rows * d, 1));
  self->rowids = g_try_new (gint64, MAX (rows, 1));
  self->paths = g_ptr_array_new_full ((guint) rows, g_free);
  if (self->half == NULL || self->rowids == NULL)
    {
      sqlite3_finalize (stmt);
      forget_vectors (self);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED,
                   "%s: no memory for %" G_GINT64_FORMAT " embeddings of %u values", self->path,
                   rows, d);
      return FALSE;
    }
  guint n = 0;
  while (sqlite3_step (stmt) == SQLITE_ROW && n < rows)
    {
      gsize bytes = (gsize) sqlite3_column_bytes (stmt, 2);
      if (d == 0 || bytes != d * sizeof (gfloat))
        continue; /* not of this model: never compared */
      _cnnfilt_half_from_float (sqlite3_column_blob (stmt, 2), self->half + (gsize) n * d, d);
      self->rowids[n++] = sqlite3_column_int64 (stmt, 0);
      g_ptr_array_add (self->paths, g_strdup ((const gchar *) sqlite3_column_text (stmt, 1)));
    }
  sqlite3_finalize (stmt);
  return TRUE;
}

/* Row @row's float32 embedding into @out, as stored. */
static gboolean
read_row (CnnfiltIndex *self, guint row, gfloat *out)
{
  if (self->read_row == NULL &&
      sqlite3_prepare_v2 (self->db, "SELECT embedding FROM images WHERE rowid = ?", -1,
                          &self->read_row, NULL) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_int64 (self->read_row, 1, self->rowids[row]);
  gboolean ok = sqlite3_step (self->read_row) == SQLITE_ROW &&
                (gsize) sqlite3_column_bytes (self->read_row, 0) == self->dimension * sizeof (gfloat);
  if (ok)
    memcpy (out, sqlite3_column_blob (self->read_row, 0), self->dimension * sizeof (gfloat));
  sqlite3_reset (self->read_row);
  return ok;
}

typedef struct {
  const CnnfiltIndex *index;
  const gfloat *query;
  gfloat *scores;
  guint first, last;
} ScoreRange;

static gpointer
score_range (gpointer data)
{
  ScoreRange *r = data;
  guint d = r->index->dimension;
  for (guint row = r->first; row < r->last; row++)
    r->scores[row] = _cnnfilt_half_dot (r->index->half + (gsize) row * d, r->query, d);
  return NULL;
}

/* Every row's cosine with the unit vector @query, from the half floats,
 * into @scores, the rows split between one thread per core: a search
 * streams every vector once, which one core alone cannot do at the
 * memory's speed. */
static void
score_all (const CnnfiltIndex *index, const gfloat *query, gfloat *scores)
{
  guint n = index->paths->len;
  guint threads = MIN (MAX (cnnfilt_get_n_cpus (), 1), 16);
  if ((gsize) n * index->dimension < (1u << 20))
    threads = 1; /* small: not worth a thread */
  ScoreRange ranges[16];
  GThread *running[16] = { NULL };
  for (guint t = 0; t < threads; t++)
    {
      ranges[t] = (ScoreRange) { index, query, scores, (guint) ((guint64) n * t / threads),
                                 (guint) ((guint64) n * (t + 1) / threads) };
      if (t > 0)
        running[t] = g_thread_new ("cnnfilt-search", score_range, &ranges[t]);
    }
  score_range (&ranges[0]);
  for (guint t = 1; t < threads; t++)
    g_thread_join (running[t]);
}

typedef struct {
  gfloat score;
  guint row;
} Hit;

/* Best first; among equals, the first path first. */
static gint
by_score (gconstpointer a, gconstpointer b)
{
  const Hit *x = a, *y = b;
  if (x->score != y->score)
    return x->score > y->score ? -1 : 1;
  return x->row < y->row ? -1 : x->row > y->row;
}

/* The @k-th largest of @n scores (0 < k <= n), by selection on a copy:
 * after each partition, a[lo..j] >= pivot >= a[i..hi]. */
static gfloat
kth_largest (const gfloat *scores, guint n, guint k)
{
  g_autofree gfloat *a = g_memdup2 (scores, sizeof (gfloat) * n);
  gint64 lo = 0, hi = (gint64) n - 1, want = (gint64) k - 1;
  while (lo < hi)
    {
      gfloat pivot = a[lo + (hi - lo) / 2];
      gint64 i = lo, j = hi;
      while (i <= j)
        {
          while (a[i] > pivot)
            i++;
          while (a[j] < pivot)
            j--;
          if (i <= j)
            {
              gfloat t = a[i];
              a[i++] = a[j];
              a[j--] = t;
            }
        }
      if (want <= j)
        hi = j;
      else if (want >= i)
        lo = i;
      else
        break;
    }
  return a[want];
}

/**
 * cnnfilt_index_search:
 * @index: an index
 * @query: (array length=n_values): an embedding of the index's model
 * @n_values: its length
 * @k: how many results at most
 * @scores: (out) (array length=n_scores) (transfer full): the cosine
 *   similarity of each result, best first
 * @n_scores: (out): how many results
 * @error: return location for a #GError
 *
 * The @k indexed images most similar to @query by cosine similarity,
 * searched exactly.
 *
 * Returns: (transfer full) (array zero-terminated=1): their paths, best
 *   first, or %NULL with @error set (a query of another length)
 */
gchar **
cnnfilt_index_search (CnnfiltIndex *index, const gfloat *query, gsize n_values, guint k,
                      gfloat **scores, gsize *n_scores, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  *scores = NULL;
  *n_scores = 0;
  if (index->dimension == 0 || n_values != index->dimension)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "a query of %" G_GSIZE_FORMAT " values for an index of %u", n_values,
                   index->dimension);
      return NULL;
    }
  if (!load_vectors (index, error))
    return NULL;
  gdouble norm = 0;
  for (gsize i = 0; i < n_values; i++)
    norm += (gdouble) query[i] * query[i];
  gfloat scale = norm > 0 ? (gfloat) (1.0 / sqrt (norm)) : 0.0f;
  guint d = index->dimension, n = index->paths->len;
  guint keep = MIN (k, n);
  g_autofree gfloat *unit = g_new (gfloat, d);
  for (guint i = 0; i < d; i++)
    unit[i] = query[i] * scale;
  /* the half-float scores; every row within the margin of the k-th best
   * of them may be among the k best, and is scored again in float32 */
  g_autofree gfloat *all = g_new (gfloat, MAX (n, 1));
  score_all (index, unit, all);
  gfloat floor = keep > 0 ? kth_largest (all, n, keep) - 2 * CNNFILT_HALF_MARGIN : INFINITY;
  g_autoptr (GArray) hits = g_array_new (FALSE, FALSE, sizeof (Hit));
  g_autofree gfloat *row = g_new (gfloat, d);
  for (guint r = 0; r < n; r++)
    if (all[r] >= floor)
      {
        if (!read_row (index, r, row))
          {
            db_error (index, error, "reading an embedding");
            return NULL;
          }
        Hit hit = { _cnnfilt_dot (row, query, d) * scale, r };
        g_array_append_val (hits, hit);
      }
  g_array_sort (hits, by_score);
  guint have = MIN (keep, hits->len);
  gchar **paths = g_new0 (gchar *, have + 1);
  *scores = g_new (gfloat, MAX (have, 1));
  for (guint i = 0; i < have; i++)
    {
      const Hit *hit = &g_array_index (hits, Hit, i);
      paths[i] = g_strdup (index->paths->pdata[hit->row]);
      (*scores)[i] = hit->score;
    }
  *n_scores = have;
  return paths;
}

static guint
find_root (guint *parent, guint i)
{
  while (parent[i] != i)
    i = parent[i] = parent[parent[i]];
  return i;
}

/**
 * cnnfilt_index_group_duplicates:
 * @index: an index
 * @threshold: the cosine similarity from which two images are duplicates
 *   (0.92, say)
 * @n_paths: (out): how many paths: as many as cnnfilt_index_list_paths() gives
 * @error: return location for a #GError
 *
 * Groups near-duplicates: images whose similarity reaches @threshold, and
 * those linked to them in a chain, share a group. Every pair is compared,
 * one row against the rest at a time: memory stays that of the vectors,
 * never a matrix of all pairs.
 *
 * Returns: (transfer full) (array length=n_paths): per path, in the order
 *   of cnnfilt_index_list_paths(), its group: the position of the group's
 *   first path; an image without duplicates is a group of its own
 */
guint *
cnnfilt_index_group_duplicates (CnnfiltIndex *index, gfloat threshold, gsize *n_paths,
                                GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), NULL);
  *n_paths = 0;
  if (!load_vectors (index, error))
    return NULL;
  guint n = index->paths->len, d = index->dimension;
  g_autofree guint *parent = g_new (guint, MAX (n, 1));
  for (guint i = 0; i < n; i++)
    parent[i] = i;
  /* blocks of rows back in float32, compared block against block by one
   * matrix product; a pair within the margin of the threshold (both rows
   * rounded) is decided on its float32 rows, as stored */
  const guint block = 1024;
  const gfloat margin = 2 * CNNFILT_HALF_MARGIN;
  g_autofree gfloat *a = g_new (gfloat, (gsize) MIN (block, MAX (n, 1)) * d);
  g_autofree gfloat *b = g_new (gfloat, (gsize) MIN (block, MAX (n, 1)) * d);
  g_autofree gfloat *products = g_new (gfloat, (gsize) MIN (block, MAX (n, 1)) * MIN (block, MAX (n, 1)));
  g_autofree gfloat *exact_i = g_new (gfloat, MAX (d, 1));
  g_autofree gfloat *exact_j = g_new (gfloat, MAX (d, 1));
  for (guint i0 = 0; i0 < n; i0 += block)
    {
      guint bi = MIN (block, n - i0);
      _cnnfilt_half_to_float (index->half + (gsize) i0 * d, a, (gsize) bi * d);
      for (guint j0 = i0; j0 < n; j0 += block)
        {
          guint bj = MIN (block, n - j0);
          _cnnfilt_half_to_float (index->half + (gsize) j0 * d, b, (gsize) bj * d);
          if (dnnl_sgemm ('N', 'T', bi, bj, d, 1.0f, a, d, b, d, 0.0f, products, bj) != dnnl_success)
            {
              g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_FAILED, "%s: oneDNN's sgemm failed",
                           index->path);
              return NULL;
            }
          for (guint i = 0; i < bi; i++)
            for (guint j = (j0 == i0 ? i + 1 : 0); j < bj; j++)
              {
                gfloat near = products[(gsize) i * bj + j];
                if (near < threshold - margin)
                  continue;
                if (near < threshold + margin)
                  {
                    if (!read_row (index, i0 + i, exact_i) || !read_row (index, j0 + j, exact_j))
                      {
                        db_error (index, error, "reading an embedding");
                        return NULL;
                      }
                    if (_cnnfilt_dot (exact_i, exact_j, d) < threshold)
                      continue;
                  }
                guint ri = find_root (parent, i0 + i), rj = find_root (parent, j0 + j);
                parent[MAX (ri, rj)] = MIN (ri, rj);
              }
        }
    }
  for (guint i = 0; i < n; i++)
    parent[i] = find_root (parent, i);
  *n_paths = n;
  return g_steal_pointer (&parent);
}

/**
 * cnnfilt_index_merge:
 * @index: an index
 * @other: the file of another index, of the same model (or of none yet)
 * @n_added: (out) (optional): how many images came from @other, new or
 *   newer than those held
 * @error: return location for a #GError
 *
 * Adds every image of @other to @index in one transaction: the indexes of
 * machines that each embedded a share of a folder (`cnnfilt embed --shard
 * K/N`) become one. A path in both keeps the row of the later modification
 * time (@other's at equal times), whatever order indexes are merged in;
 * merging the same index twice changes nothing.
 *
 * Returns: %TRUE, or %FALSE with @error set (another model, a file that
 *   is no index)
 */
gboolean
cnnfilt_index_merge (CnnfiltIndex *index, const gchar *other, guint64 *n_added, GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  if (n_added != NULL)
    *n_added = 0;
  if (!g_file_test (other, G_FILE_TEST_IS_REGULAR))
    {
      /* opening it would make an empty index there */
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: no such index", other);
      return FALSE;
    }
  g_autoptr (CnnfiltIndex) source = cnnfilt_index_open (other, error);
  if (source == NULL)
    return FALSE;
  if (source->model == NULL)
    return TRUE; /* empty */
  if (!cnnfilt_index_set_model (index, source->model, source->dimension, error))
    return FALSE;
  g_autofree gchar *model_path = cnnfilt_index_get_info (source, "model-path");
  g_autofree gchar *layer = cnnfilt_index_get_info (source, "layer");
  if ((model_path && !cnnfilt_index_set_info (index, "model-path", model_path, error)) ||
      (layer && !cnnfilt_index_set_info (index, "layer", layer, error)))
    return FALSE;
  sqlite3_stmt *read = NULL, *write = NULL;
  if (sqlite3_prepare_v2 (source->db, "SELECT path, size, mtime, embedding FROM images", -1, &read,
                          NULL) != SQLITE_OK)
    return db_error (source, error, "reading");
  if (!cnnfilt_index_begin (index, error))
    {
      sqlite3_finalize (read);
      return FALSE;
    }
  /* a path in both keeps the newer file's row (the later mtime; the
   * incoming one at equal times), whatever the order of the merges; a row
   * already there as it is counts as nothing new */
  gboolean ok = sqlite3_prepare_v2 (index->db,
                                    "INSERT INTO images VALUES (?, ?, ?, ?) ON CONFLICT (path) DO "
                                    "UPDATE SET size = excluded.size, mtime = excluded.mtime, "
                                    "embedding = excluded.embedding WHERE excluded.mtime > mtime OR (excluded.mtime = "
                                    "mtime AND (excluded.size != size OR excluded.embedding != embedding))",
                                    -1, &write, NULL) == SQLITE_OK;
  guint64 added = 0;
  while (ok && sqlite3_step (read) == SQLITE_ROW)
    {
      if ((gsize) sqlite3_column_bytes (read, 3) != index->dimension * sizeof (gfloat))
        continue;
      sqlite3_bind_text (write, 1, (const gchar *) sqlite3_column_text (read, 0), -1, SQLITE_TRANSIENT);
      sqlite3_bind_int64 (write, 2, sqlite3_column_int64 (read, 1));
      sqlite3_bind_int64 (write, 3, sqlite3_column_int64 (read, 2));
      sqlite3_bind_blob (write, 4, sqlite3_column_blob (read, 3), sqlite3_column_bytes (read, 3),
                         SQLITE_TRANSIENT);
      ok = sqlite3_step (write) == SQLITE_DONE;
      sqlite3_reset (write);
      added += ok ? (guint64) sqlite3_changes (index->db) : 0;
    }
  sqlite3_finalize (read);
  sqlite3_finalize (write);
  if (!ok)
    {
      db_error (index, error, "merging");
      exec (index, "ROLLBACK", NULL);
      return FALSE;
    }
  forget_vectors (index);
  if (n_added != NULL)
    *n_added = added;
  return cnnfilt_index_commit (index, error);
}

/**
 * cnnfilt_index_export:
 * @index: an index
 * @npy_path: the .npy file to write: an N × dimension float32 matrix of
 *   the normalised embeddings
 * @paths_path: the text file to write: the N paths, one per line, in the
 *   matrix's order
 * @error: return location for a #GError
 *
 * Writes the index for other tools (numpy, FAISS, scikit-learn), each file
 * atomically.
 *
 * Returns: %TRUE, or %FALSE with @error set
 */
gboolean
cnnfilt_index_export (CnnfiltIndex *index, const gchar *npy_path, const gchar *paths_path,
                      GError **error)
{
  g_return_val_if_fail (CNNFILT_IS_INDEX (index), FALSE);
  if (!load_vectors (index, error))
    return FALSE;
  guint n = index->paths->len;
  if (n == 0 || index->dimension == 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT, "%s holds no images",
                   index->path);
      return FALSE;
    }
  /* .npy version 1.0: magic, header length, a dict padded to 64 bytes,
   * then the rows, streamed from the file to a temporary one renamed into
   * place: memory stays one row, whatever the size */
  g_autoptr (GString) header = g_string_new (NULL);
  g_string_printf (header, "{'descr': '<f4', 'fortran_order': False, 'shape': (%u, %u), }", n,
                   index->dimension);
  while ((10 + header->len + 1) % 64 != 0)
    g_string_append_c (header, ' ');
  g_string_append_c (header, '\n');
  const guint8 magic[10] = { 0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, header->len & 0xff, header->len >> 8 };
  g_autofree gchar *temp = g_strdup_printf ("%s.XXXXXX", npy_path);
  int fd = g_mkstemp_full (temp, O_WRONLY, 0644);
  FILE *out = fd >= 0 ? fdopen (fd, "wb") : NULL;
  if (out == NULL)
    {
      int saved = errno;
      if (fd >= 0)
        close (fd);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s", npy_path, g_strerror (saved));
      return FALSE;
    }
  g_autofree gfloat *row = g_new (gfloat, index->dimension);
  gboolean ok = fwrite (magic, 1, 10, out) == 10 &&
                fwrite (header->str, 1, header->len, out) == header->len;
  for (guint i = 0; i < n && ok; i++)
    {
      if (!read_row (index, i, row))
        {
          fclose (out);
          g_unlink (temp);
          return db_error (index, error, "reading an embedding");
        }
      ok = fwrite (row, sizeof (gfloat), index->dimension, out) == index->dimension;
    }
  ok = ok && fflush (out) == 0 && fsync (fileno (out)) == 0;
  ok = fclose (out) == 0 && ok;
  if (!ok || g_rename (temp, npy_path) != 0)
    {
      int saved = errno;
      g_unlink (temp);
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_IO, "%s: %s", npy_path, g_strerror (saved));
      return FALSE;
    }
  g_autoptr (GString) text = g_string_new (NULL);
  for (guint i = 0; i < n; i++)
    g_string_append_printf (text, "%s\n", (const gchar *) index->paths->pdata[i]);
  return g_file_set_contents_full (paths_path, text->str, text->len,
                                   G_FILE_SET_CONTENTS_CONSISTENT, 0644, error);
}
