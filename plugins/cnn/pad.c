/* pad.c: borders added around each plane
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'pad padding=2 mode=reflect ! conv2d weights=w.npy' -o out/ in/
 *
 * constant fills with value; reflect mirrors without repeating the edge
 * (d c b | a b c d | c b a, numpy's and PyTorch's "reflect"); edge repeats
 * the edge value (PyTorch's "replicate").
 */
#include "layer.h"

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE } PadMode;

static GType
pad_mode_get_type (void)
{
  static gsize type = 0;
  if (g_once_init_enter (&type))
    {
      static const GEnumValue values[] = {
        { PAD_CONSTANT, "CNNFILT_PAD_MODE_CONSTANT", "constant" },
        { PAD_REFLECT, "CNNFILT_PAD_MODE_REFLECT", "reflect" },
        { PAD_EDGE, "CNNFILT_PAD_MODE_EDGE", "edge" },
        { 0, NULL, NULL },
      };
      g_once_init_leave (&type, g_enum_register_static ("CnnfiltPadMode", values));
    }
  return type;
}

typedef struct {
  CnnfiltOp parent_instance;
  gint top, left, bottom, right;
  gint mode;
  gfloat value;
} CnnfiltPad;

typedef CnnfiltOpClass CnnfiltPadClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltPad, cnnfilt_pad, CNNFILT_TYPE_OP)

static const CnnfiltOpProp pad_props[] = {
  { "pad-top", "Rows added above", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltPad, top), 0, 1 << 16, 0, NULL,
    { 0 } },
  { "pad-left", "Columns added on the left", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltPad, left), 0,
    1 << 16, 0, NULL, { 0 } },
  { "pad-bottom", "Rows added below", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltPad, bottom), 0, 1 << 16, 0,
    NULL, { 0 } },
  { "pad-right", "Columns added on the right", CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltPad, right), 0,
    1 << 16, 0, NULL, { 0 } },
  { "padding", "Shorthand: sets all four pad-* sides", CNNFILT_OP_PROP_SHORTHAND, 0, 0, 1 << 16, 0, NULL,
    { CNNFILT_OP_PROP_FIELD (CnnfiltPad, top), CNNFILT_OP_PROP_FIELD (CnnfiltPad, left),
      CNNFILT_OP_PROP_FIELD (CnnfiltPad, bottom), CNNFILT_OP_PROP_FIELD (CnnfiltPad, right) } },
  { "mode", "constant (value), reflect (mirror without the edge) or edge (repeat the edge)",
    CNNFILT_OP_PROP_ENUM, CNNFILT_OP_PROP_FIELD (CnnfiltPad, mode), 0, 0, PAD_CONSTANT, pad_mode_get_type, { 0 } },
  { "value", "The fill of constant mode", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltPad, value),
    -G_MAXFLOAT, G_MAXFLOAT, 0, NULL, { 0 } },
};

static gboolean
cnnfilt_pad_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                   CnnfiltShape *output, GError **error)
{
  CnnfiltPad *self = (CnnfiltPad *) op;
  if (self->mode == PAD_REFLECT &&
      (MAX (self->top, self->bottom) >= (gint) inputs[0].h ||
       MAX (self->left, self->right) >= (gint) inputs[0].w))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "pad: reflect padding must be smaller than the input (%u×%u)", inputs[0].h,
                   inputs[0].w);
      return FALSE;
    }
  *output = inputs[0];
  output->h += self->top + self->bottom;
  output->w += self->left + self->right;
  return TRUE;
}

/* The source index for position i (may be outside 0..n−1), or −1 for the fill. */
static gint
source_index (gint i, gint n, gint mode)
{
  if (i >= 0 && i < n)
    return i;
  if (mode == PAD_CONSTANT)
    return -1;
  if (mode == PAD_EDGE)
    return i < 0 ? 0 : n - 1;
  if (n == 1)
    return 0;
  gint period = 2 * (n - 1);
  i = ((i % period) + period) % period;
  return i < n ? i : period - i;
}

static gboolean
cnnfilt_pad_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                 CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                 GError **error)
{
  CnnfiltPad *self = (CnnfiltPad *) op;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  const gfloat *src = cnnfilt_tensor_get_data (inputs[0], NULL);
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  g_autofree gint *cols = g_new (gint, out.w);
  for (guint x = 0; x < out.w; x++)
    cols[x] = source_index ((gint) x - self->left, in.w, self->mode);
  for (gsize p = 0; p < (gsize) in.n * in.c; p++)
    for (guint y = 0; y < out.h; y++)
      {
        gint sy = source_index ((gint) y - self->top, in.h, self->mode);
        gfloat *row = dst + (p * out.h + y) * out.w;
        const gfloat *line = sy >= 0 ? src + (p * in.h + sy) * in.w : NULL;
        for (guint x = 0; x < out.w; x++)
          row[x] = line && cols[x] >= 0 ? line[cols[x]] : self->value;
      }
  return TRUE;
}

static gboolean
cnnfilt_pad_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  CnnfiltPad *self = (CnnfiltPad *) op;
  const gchar *source = cnnfilt_kernel_source_from_resource ("/org/cnnfilt/cnn/pad.cl", error);
  if (source == NULL)
    return FALSE;
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  cnnfilt_tensor_get_shape (output, &out);
  const CnnfiltKernelArg args[] = {
    CNNFILT_KERNEL_IN (inputs[0]), CNNFILT_KERNEL_OUT (output), CNNFILT_KERNEL_INT (in.h),
    CNNFILT_KERNEL_INT (in.w), CNNFILT_KERNEL_INT (out.h), CNNFILT_KERNEL_INT (out.w),
    CNNFILT_KERNEL_INT (self->top), CNNFILT_KERNEL_INT (self->left),
    CNNFILT_KERNEL_INT (self->mode), CNNFILT_KERNEL_FLOAT (self->value),
  };
  CnnfiltKernelLaunch launch = { source, NULL, "pad", 3, { out.w, out.h, (gsize) in.n * in.c } };
  return cnnfilt_kernel_run (op, ctx, &launch, args, G_N_ELEMENTS (args), error);
}

static void
cnnfilt_pad_class_init (CnnfiltPadClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "pad";
  op_class->example = "pad padding=2 mode=reflect ! conv2d weights=w.npy";
  op_class->description = "Adds rows and columns around each plane: constant, reflect or edge";
  op_class->onnx_op_type = "Pad";
  op_class->onnx_inputs = "- pads constant_value";
  op_class->onnx_attributes = "pads:0,0,pad-top,pad-left,0,0,pad-bottom,pad-right mode:mode "
                              "value:value constant_value:value";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_pad_infer;
  op_class->run = cnnfilt_pad_run;
  op_class->run_cl = cnnfilt_pad_run_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), pad_props, G_N_ELEMENTS (pad_props));
}

LAYER_NO_INIT (CnnfiltPad, cnnfilt_pad)
