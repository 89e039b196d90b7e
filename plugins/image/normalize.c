/* normalize.c: stretch values to [0, 1]
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! laplacian ! normalize' -o out/ photos/
 */
#include <cnnfilt.h>

#include <math.h>

typedef struct {
  CnnfiltOp parent_instance;
  gboolean per_channel;
} CnnfiltNormalize;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltNormalizeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltNormalize, cnnfilt_normalize, CNNFILT_TYPE_OP)

static const CnnfiltOpProp normalize_props[] = {
  { "per-channel", "Stretch each channel on its own; by default one range covers all "
    "channels of an image, which keeps its colour balance", CNNFILT_OP_PROP_BOOLEAN,
    CNNFILT_OP_PROP_FIELD (CnnfiltNormalize, per_channel), 0, 1, FALSE, NULL, { 0 } },
};

/* (x − min) / (max − min) over @count values; a constant block becomes 0.
 * NaNs are left out of the range and stay NaN. */
static void
stretch (const gfloat *in, gfloat *out, gsize count)
{
  gfloat lo = INFINITY, hi = -INFINITY;
  for (gsize i = 0; i < count; i++)
    {
      lo = in[i] < lo ? in[i] : lo;
      hi = in[i] > hi ? in[i] : hi;
    }
  gfloat range = hi - lo;
  gfloat scale = range > 0.0f && isfinite (range) ? 1.0f / range : 0.0f;
  for (gsize i = 0; i < count; i++)
    out[i] = (in[i] - lo) * scale;
}

static gboolean
cnnfilt_normalize_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                       CnnfiltTensor **inputs, guint n_inputs,
                       CnnfiltTensor *output, GError **error)
{
  CnnfiltNormalize *self = (CnnfiltNormalize *) op;
  CnnfiltTensor *in = inputs[0];
  guint c = cnnfilt_tensor_get_c (in);
  gsize plane = (gsize) cnnfilt_tensor_get_h (in) * cnnfilt_tensor_get_w (in);
  for (guint n = 0; n < cnnfilt_tensor_get_n (in); n++)
    {
      if (self->per_channel)
        for (guint ch = 0; ch < c; ch++)
          stretch (cnnfilt_tensor_get_plane (in, n, ch), cnnfilt_tensor_get_plane (output, n, ch),
                   plane);
      else
        stretch (cnnfilt_tensor_get_plane (in, n, 0), cnnfilt_tensor_get_plane (output, n, 0),
                 plane * c);
    }
  return TRUE;
}

static void
cnnfilt_normalize_class_init (CnnfiltNormalizeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "normalize";
  op_class->description = "Min–max stretch of each image to [0, 1], for viewing signed or unbounded responses";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = cnnfilt_normalize_run;
  cnnfilt_op_class_install_properties (op_class, normalize_props, G_N_ELEMENTS (normalize_props));
}

static void
cnnfilt_normalize_class_finalize (CnnfiltNormalizeClass *klass)
{
}

static void
cnnfilt_normalize_init (CnnfiltNormalize *self)
{
}
