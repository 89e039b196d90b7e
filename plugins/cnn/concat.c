/* concat.c: tensors joined along one dim
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Joins any number of inputs (GoogLeNet's inception branches, DenseNet's
 * features) along axis; the other dims must agree. Graphs build it with
 * cnnfilt_graph_add_node() and the input names in order.
 */
#include "layer.h"

#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gint axis;
} CnnfiltConcat;

typedef CnnfiltOpClass CnnfiltConcatClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltConcat, cnnfilt_concat, CNNFILT_TYPE_OP)

static const CnnfiltOpProp concat_props[] = {
  { "axis", "The dim joined along (0 n, 1 c: channels, 2 h, 3 w)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltConcat, axis), 0, 3, 1, NULL, { 0 } },
};

static gboolean
cnnfilt_concat_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  gint axis = ((CnnfiltConcat *) op)->axis;
  guint out[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  guint64 joined = 0;
  for (guint i = 0; i < n_inputs; i++)
    {
      const guint d[4] = { inputs[i].n, inputs[i].c, inputs[i].h, inputs[i].w };
      for (gint k = 0; k < 4; k++)
        if (k != axis && d[k] != out[k])
          {
            g_autofree gchar *a = cnnfilt_shape_to_string (&inputs[0]);
            g_autofree gchar *b = cnnfilt_shape_to_string (&inputs[i]);
            g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                         "concat: input %u (%s) differs from input 1 (%s) off axis %d", i + 1, b,
                         a, axis);
            return FALSE;
          }
      joined += d[axis];
    }
  if (joined > G_MAXUINT)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE, "concat: the result is too large");
      return FALSE;
    }
  out[axis] = joined;
  output->n = out[0], output->c = out[1], output->h = out[2], output->w = out[3];
  return TRUE;
}

/* Index of (n, c, y, x) in a tensor of shape @s and layout @l. */
static inline gsize
offset (const CnnfiltShape *s, CnnfiltLayout l, guint n, guint c, guint y, guint x)
{
  return l == CNNFILT_LAYOUT_NHWC ? (((gsize) n * s->h + y) * s->w + x) * s->c + c
                                  : (((gsize) n * s->c + c) * s->h + y) * s->w + x;
}

static gboolean
cnnfilt_concat_run (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                    CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                    GError **error)
{
  gint axis = ((CnnfiltConcat *) op)->axis;
  CnnfiltShape so;
  cnnfilt_tensor_get_shape (output, &so);
  CnnfiltLayout out_layout = cnnfilt_tensor_get_layout (output);
  const guint d[4] = { so.n, so.c, so.h, so.w };
  gsize outer = 1, inner = 1;
  for (gint k = 0; k < axis; k++)
    outer *= d[k];
  for (gint k = axis + 1; k < 4; k++)
    inner *= d[k];
  gfloat *dst = cnnfilt_tensor_get_data (output, NULL);
  gsize offset_c = 0; /* along the axis: where the next input goes */
  for (guint i = 0; i < n_inputs; i++)
    {
      CnnfiltShape s;
      cnnfilt_tensor_get_shape (inputs[i], &s);
      CnnfiltLayout layout = cnnfilt_tensor_get_layout (inputs[i]);
      const gfloat *src = cnnfilt_tensor_get_data (inputs[i], NULL);
      if (layout == CNNFILT_LAYOUT_NCHW && out_layout == CNNFILT_LAYOUT_NCHW)
        {
          /* planes: one block per outer index */
          const guint di[4] = { s.n, s.c, s.h, s.w };
          gsize chunk = di[axis] * inner;
          for (gsize o = 0; o < outer; o++)
            memcpy (dst + o * d[axis] * inner + offset_c * inner, src + o * chunk,
                    chunk * sizeof (gfloat));
        }
      else if (layout == CNNFILT_LAYOUT_NHWC && out_layout == CNNFILT_LAYOUT_NHWC && axis == 1)
        {
          /* channels last, joined along channels: a run of s.c per pixel */
          gsize pixels = (gsize) s.n * s.h * s.w;
          for (gsize p = 0; p < pixels; p++)
            memcpy (dst + p * so.c + offset_c, src + p * s.c, s.c * sizeof (gfloat));
        }
      else
        {
          /* mixed layouts: value by value */
          guint base[4] = { 0, 0, 0, 0 };
          base[axis] = offset_c;
          for (guint n = 0; n < s.n; n++)
            for (guint c = 0; c < s.c; c++)
              for (guint y = 0; y < s.h; y++)
                for (guint x = 0; x < s.w; x++)
                  dst[offset (&so, out_layout, n + base[0], c + base[1], y + base[2], x + base[3])] =
                      src[offset (&s, layout, n, c, y, x)];
        }
      const guint di[4] = { s.n, s.c, s.h, s.w };
      offset_c += di[axis];
    }
  return TRUE;
}

/* Channels last where the join is along channels: each input may come in
 * either layout and the output go out in either. */
static CnnfiltLayoutSupport
cnnfilt_concat_layouts (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs)
{
  return ((CnnfiltConcat *) op)->axis == 1
             ? CNNFILT_LAYOUT_SUPPORT_INPUT | CNNFILT_LAYOUT_SUPPORT_OUTPUT
             : CNNFILT_LAYOUT_SUPPORT_NCHW;
}

static gboolean
cnnfilt_concat_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx,
                   CnnfiltTensor **inputs, guint n_inputs, CnnfiltTensor *output,
                   GError **error)
{
  gint axis = ((CnnfiltConcat *) op)->axis;
  guint at = 0; /* along the axis: where the next input goes */
  for (guint i = 0; i < n_inputs; i++)
    {
      CnnfiltShape s;
      cnnfilt_tensor_get_shape (inputs[i], &s);
      CnnfiltKernelRegion region = { .n = s.n, .c = s.c, .h = s.h, .w = s.w, .src_c_step = 1,
                                     .dst_n = axis == 0 ? at : 0, .dst_c = axis == 1 ? at : 0,
                                     .dst_y = axis == 2 ? at : 0, .dst_x = axis == 3 ? at : 0 };
      if (!cnnfilt_kernel_copy (op, ctx, inputs[i], output, &region, error))
        return FALSE;
      const guint d[4] = { s.n, s.c, s.h, s.w };
      at += d[axis];
    }
  return TRUE;
}

static void
cnnfilt_concat_class_init (CnnfiltConcatClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "concat";
  op_class->description = "Joins its inputs along one dim (channels by default)";
  op_class->onnx_op_type = "Concat";
  op_class->onnx_attributes = "axis:axis";
  op_class->n_inputs = 0;
  op_class->infer = cnnfilt_concat_infer;
  op_class->run = cnnfilt_concat_run;
  op_class->run_cl = cnnfilt_concat_run_cl;
  op_class->layouts = cnnfilt_concat_layouts;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), concat_props, G_N_ELEMENTS (concat_props));
}

LAYER_NO_INIT (CnnfiltConcat, cnnfilt_concat)
