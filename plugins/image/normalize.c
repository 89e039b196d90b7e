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

/* normalize.cl: the range of each segment, then the stretch */
static gboolean
cnnfilt_normalize_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                          CnnfiltTensor **inputs, guint n_inputs,
                          CnnfiltTensor *output, GError **error)
{
  CnnfiltNormalize *self = (CnnfiltNormalize *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/image/normalize.cl",
                                                              error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  guint segments = self->per_channel ? in.n * in.c : in.n;
  gsize count = cnnfilt_tensor_get_size (inputs[0]) / segments;
  g_autoptr (CnnfiltTensor) ranges = cnnfilt_tensor_new (1, 1, segments, 2, error);
  if (ranges == NULL)
    return FALSE;
  /* a power of two for the reduction, within the device's limit */
  gsize group = 1;
  while (group * 2 <= MIN (cnnfilt_kernel_get_max_work_group (ctx), 256))
    group *= 2;
  const CnnfiltKernelArg range_args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (ranges), CNNFILT_KERNEL_INT (count),
    CNNFILT_KERNEL_LOCAL (group * sizeof (gfloat)), CNNFILT_KERNEL_LOCAL (group * sizeof (gfloat)),
  };
  CnnfiltKernelLaunch range = { source, NULL, "range", 1, { group * segments }, { group } };
  const CnnfiltKernelArg stretch_args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_IN (ranges),
    CNNFILT_KERNEL_INT (count),
  };
  CnnfiltKernelLaunch stretch = { source, NULL, "stretch", 2, { count, segments } };
  return cnnfilt_kernel_run (op, ctx, &range, range_args, G_N_ELEMENTS (range_args), error) &&
         cnnfilt_kernel_run (op, ctx, &stretch, stretch_args, G_N_ELEMENTS (stretch_args), error);
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
  op_class->run_cl = cnnfilt_normalize_run_cl;
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
