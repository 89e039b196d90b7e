/* cnnfilt-embedder.h: photos to embedding vectors with a pretrained model
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include "cnnfilt-device.h"
#include "cnnfilt-index.h"
#include "cnnfilt-tensor.h"

G_BEGIN_DECLS

#define CNNFILT_TYPE_EMBEDDER (cnnfilt_embedder_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltEmbedder, cnnfilt_embedder, CNNFILT, EMBEDDER, GObject)

gchar           *cnnfilt_embedder_find_default_model (GError **error);

CnnfiltEmbedder *cnnfilt_embedder_new            (const gchar *model_path, const gchar *layer,
                                                  GError **error);
CnnfiltEmbedder *cnnfilt_embedder_new_for_index  (CnnfiltIndex *index, GError **error);

const gchar     *cnnfilt_embedder_get_model_path (CnnfiltEmbedder *embedder);
const gchar     *cnnfilt_embedder_get_layer      (CnnfiltEmbedder *embedder);
const gchar     *cnnfilt_embedder_get_identity   (CnnfiltEmbedder *embedder);
guint            cnnfilt_embedder_get_dimension  (CnnfiltEmbedder *embedder);
void             cnnfilt_embedder_get_input_shape (CnnfiltEmbedder *embedder, CnnfiltShape *shape);
void             cnnfilt_embedder_set_device     (CnnfiltEmbedder *embedder, CnnfiltDevice *device);

gboolean         cnnfilt_embedder_attach         (CnnfiltEmbedder *embedder, CnnfiltIndex *index,
                                                  GError **error);

gboolean         cnnfilt_embedder_prepare_file   (CnnfiltEmbedder *embedder, const gchar *path,
                                                  CnnfiltTensor *batch, guint slot, GError **error);
gboolean         cnnfilt_embedder_prepare_image  (CnnfiltEmbedder *embedder, CnnfiltTensor *image,
                                                  CnnfiltTensor *batch, guint slot, GError **error);
gfloat          *cnnfilt_embedder_run            (CnnfiltEmbedder *embedder, CnnfiltTensor *batch,
                                                  gsize *n_values, GError **error);

gfloat          *cnnfilt_embedder_embed_file     (CnnfiltEmbedder *embedder, const gchar *path,
                                                  gsize *n_values, GError **error);
gfloat          *cnnfilt_embedder_embed_image    (CnnfiltEmbedder *embedder, CnnfiltTensor *image,
                                                  gsize *n_values, GError **error);

G_END_DECLS
