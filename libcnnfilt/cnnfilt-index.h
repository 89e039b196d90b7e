/* cnnfilt-index.h: an index of image embeddings, and search in it
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define CNNFILT_TYPE_INDEX (cnnfilt_index_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltIndex, cnnfilt_index, CNNFILT, INDEX, GObject)

CnnfiltIndex *cnnfilt_index_open          (const gchar *path, GError **error);
const gchar  *cnnfilt_index_get_path      (CnnfiltIndex *index);
const gchar  *cnnfilt_index_get_model     (CnnfiltIndex *index);
guint         cnnfilt_index_get_dimension (CnnfiltIndex *index);
guint64       cnnfilt_index_get_count     (CnnfiltIndex *index);
gboolean      cnnfilt_index_set_model     (CnnfiltIndex *index, const gchar *model, guint dimension,
                                           GError **error);
gboolean      cnnfilt_index_set_info      (CnnfiltIndex *index, const gchar *key, const gchar *value,
                                           GError **error);
gchar        *cnnfilt_index_get_info      (CnnfiltIndex *index, const gchar *key);

gboolean      cnnfilt_index_is_current    (CnnfiltIndex *index, const gchar *path, gint64 size,
                                           gint64 mtime);
gboolean      cnnfilt_index_add           (CnnfiltIndex *index, const gchar *path, gint64 size,
                                           gint64 mtime, const gfloat *embedding, gsize n_values,
                                           GError **error);
gboolean      cnnfilt_index_remove        (CnnfiltIndex *index, const gchar *path, GError **error);
gchar       **cnnfilt_index_list_paths    (CnnfiltIndex *index);
gfloat       *cnnfilt_index_get_embedding (CnnfiltIndex *index, const gchar *path, gsize *n_values);

gboolean      cnnfilt_index_begin         (CnnfiltIndex *index, GError **error);
gboolean      cnnfilt_index_commit        (CnnfiltIndex *index, GError **error);

gchar       **cnnfilt_index_search        (CnnfiltIndex *index, const gfloat *query, gsize n_values,
                                           guint k, gfloat **scores, gsize *n_scores,
                                           GError **error);

gboolean      cnnfilt_index_merge         (CnnfiltIndex *index, const gchar *other, guint64 *n_added,
                                           GError **error);
gboolean      cnnfilt_index_export        (CnnfiltIndex *index, const gchar *npy_path,
                                           const gchar *paths_path, GError **error);
guint        *cnnfilt_index_group_duplicates (CnnfiltIndex *index, gfloat threshold,
                                              gsize *n_paths, GError **error);

G_END_DECLS
