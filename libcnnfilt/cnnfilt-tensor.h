/* cnnfilt-tensor.h: float32 NCHW tensors
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#pragma once

#if !defined (CNNFILT_INSIDE) && !defined (CNNFILT_COMPILATION)
#error "Only <cnnfilt.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * CnnfiltShape:
 * @n: batch size (images)
 * @c: channels
 * @h: height (rows)
 * @w: width (columns)
 *
 * The shape of a #CnnfiltTensor, in NCHW order. A vector of k values is
 * `n × k × 1 × 1`.
 */
typedef struct {
  guint n;
  guint c;
  guint h;
  guint w;
} CnnfiltShape;

/**
 * CnnfiltLayout:
 * @CNNFILT_LAYOUT_NCHW: planes: every value of a channel together, the
 *   layout of every tensor a caller gives or gets
 * @CNNFILT_LAYOUT_NHWC: channels last: the channels of a pixel together,
 *   the layout convolution kernels read and write fastest. Graphs keep it
 *   between ops that support it and never hand it out.
 *
 * The order of a tensor's values in memory; the shape is always n, c, h, w.
 */
typedef enum {
  CNNFILT_LAYOUT_NCHW,
  CNNFILT_LAYOUT_NHWC,
} CnnfiltLayout;

#define CNNFILT_TYPE_SHAPE (cnnfilt_shape_get_type ())
GType          cnnfilt_shape_get_type  (void) G_GNUC_CONST;
CnnfiltShape  *cnnfilt_shape_new       (guint n, guint c, guint h, guint w);
CnnfiltShape  *cnnfilt_shape_copy      (const CnnfiltShape *shape);
void           cnnfilt_shape_free      (CnnfiltShape *shape);
gboolean       cnnfilt_shape_equal     (const CnnfiltShape *a, const CnnfiltShape *b);
gsize          cnnfilt_shape_get_size  (const CnnfiltShape *shape);
gchar         *cnnfilt_shape_to_string (const CnnfiltShape *shape);

#define CNNFILT_TYPE_TENSOR (cnnfilt_tensor_get_type ())
G_DECLARE_FINAL_TYPE (CnnfiltTensor, cnnfilt_tensor, CNNFILT, TENSOR, GObject)

CnnfiltTensor *cnnfilt_tensor_new            (guint n, guint c, guint h, guint w,
                                              GError **error);
CnnfiltTensor *cnnfilt_tensor_new_from_data  (const gfloat *data, gsize n_values,
                                              guint n, guint c, guint h, guint w,
                                              GError **error);
CnnfiltTensor *cnnfilt_tensor_new_from_bytes (GBytes *bytes,
                                              guint n, guint c, guint h, guint w,
                                              GError **error);
CnnfiltTensor *cnnfilt_tensor_copy           (CnnfiltTensor *tensor);

void           cnnfilt_tensor_get_shape      (CnnfiltTensor *tensor, CnnfiltShape *shape);
guint          cnnfilt_tensor_get_n          (CnnfiltTensor *tensor);
guint          cnnfilt_tensor_get_c          (CnnfiltTensor *tensor);
guint          cnnfilt_tensor_get_h          (CnnfiltTensor *tensor);
guint          cnnfilt_tensor_get_w          (CnnfiltTensor *tensor);
gsize          cnnfilt_tensor_get_size       (CnnfiltTensor *tensor);
gsize          cnnfilt_tensor_get_capacity   (CnnfiltTensor *tensor);
CnnfiltLayout  cnnfilt_tensor_get_layout     (CnnfiltTensor *tensor);
void           cnnfilt_tensor_set_layout     (CnnfiltTensor *tensor, CnnfiltLayout layout);
gboolean       cnnfilt_tensor_set_shape      (CnnfiltTensor *tensor, const CnnfiltShape *shape,
                                              GError **error);

gfloat        *cnnfilt_tensor_get_data       (CnnfiltTensor *tensor, gsize *n_values);
GBytes        *cnnfilt_tensor_get_bytes      (CnnfiltTensor *tensor);
gfloat        *cnnfilt_tensor_get_values     (CnnfiltTensor *tensor, gsize *n_values);
CnnfiltTensor *cnnfilt_tensor_new_wrapping   (guintptr address, gsize n_bytes, guint n, guint c,
                                              guint h, guint w, GError **error);
guintptr       cnnfilt_tensor_get_address    (CnnfiltTensor *tensor);
gfloat         cnnfilt_tensor_get_value      (CnnfiltTensor *tensor,
                                              guint n, guint c, guint h, guint w);
void           cnnfilt_tensor_set_value      (CnnfiltTensor *tensor,
                                              guint n, guint c, guint h, guint w,
                                              gfloat value);
void           cnnfilt_tensor_fill           (CnnfiltTensor *tensor, gfloat value);
gfloat        *cnnfilt_tensor_get_plane      (CnnfiltTensor *tensor, guint n, guint c);

gpointer       cnnfilt_alloc_large (gsize bytes);
void           cnnfilt_free_large  (gpointer memory);

typedef void (*CnnfiltTensorMoveFunc)    (CnnfiltTensor *tensor, gfloat *values,
                                          gpointer move_data);
typedef void (*CnnfiltTensorRestoreFunc) (CnnfiltTensor *tensor, gfloat *values,
                                          gpointer user_data);
gboolean       cnnfilt_tensor_release_values (CnnfiltTensor *tensor,
                                              CnnfiltTensorMoveFunc move,
                                              gpointer move_data,
                                              CnnfiltTensorRestoreFunc restore,
                                              gpointer user_data, GDestroyNotify notify);

G_END_DECLS
