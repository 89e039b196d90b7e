/* rgb.c: any picture as three colour channels, as a CNN trained on RGB expects
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'rgb ! resize shorter=256' -o out/ photos/
 */
#include <cnnfilt.h>

#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltRgb;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltRgbClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltRgb, cnnfilt_rgb, CNNFILT_TYPE_OP)

static gboolean
cnnfilt_rgb_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                   CnnfiltShape *output, GError **error)
{
  if (inputs[0].c > 4)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "rgb: takes images of 1 to 4 channels, not %u", inputs[0].c);
      return FALSE;
    }
  *output = (CnnfiltShape) { inputs[0].n, 3, inputs[0].h, inputs[0].w };
  return TRUE;
}

/* As PIL's convert("RGB"), which torchvision's loaders use: grey (with or
 * without alpha) is repeated in R, G and B; alpha is dropped. */
static gboolean
cnnfilt_rgb_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                 CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                 GError **error)
{
  CnnfiltTensor *in = inputs[0];
  gboolean grey = cnnfilt_tensor_get_c (in) < 3;
  gsize bytes = (gsize) cnnfilt_tensor_get_h (in) * cnnfilt_tensor_get_w (in) * sizeof (gfloat);
  for (guint n = 0; n < cnnfilt_tensor_get_n (in); n++)
    for (guint c = 0; c < 3; c++)
      memcpy (cnnfilt_tensor_get_plane (output, n, c), cnnfilt_tensor_get_plane (in, n, grey ? 0 : c),
              bytes);
  return TRUE;
}

static gboolean
cnnfilt_rgb_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                    GError **error)
{
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  CnnfiltKernelRegion region = { .n = in.n, .c = 3, .h = in.h, .w = in.w,
                                 .src_c_step = in.c < 3 ? 0 : 1 };
  return cnnfilt_kernel_copy (op, ctx, inputs[0], output, &region, error);
}

static void
cnnfilt_rgb_class_init (CnnfiltRgbClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "rgb";
  op_class->description = "Three colour channels: grey repeated, alpha dropped (PIL's convert(\"RGB\"))";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_rgb_infer;
  op_class->run = cnnfilt_rgb_run;
  op_class->run_cl = cnnfilt_rgb_run_cl;
  op_class->example = "rgb ! resize shorter=256 ! center-crop ! standardize";
}

static void
cnnfilt_rgb_class_finalize (CnnfiltRgbClass *klass)
{
}

static void
cnnfilt_rgb_init (CnnfiltRgb *self)
{
}
