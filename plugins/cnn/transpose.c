/* transpose.c: the dims of a tensor reordered, as ONNX's Transpose
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'transpose perm=0,2,3,1' -o out/ in/
 *
 * Output dim i is input dim perm[i]. ConvNeXt (and PyTorch's permute in
 * general) moves channels last and back this way around its LayerNorms
 * and Linears. Tensors hold four dims, the model's rank of them first and
 * then 1s: `rank` says how many perm reorders (the importer sets it), and
 * an empty perm reverses those, as ONNX's default does.
 */
#include "layer.h"

#include <string.h>

typedef struct {
  CnnfiltOp parent_instance;
  gchar *perm;
  gint rank;
} CnnfiltTranspose;

typedef CnnfiltOpClass CnnfiltTransposeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltTranspose, cnnfilt_transpose, CNNFILT_TYPE_OP)

static const CnnfiltOpProp transpose_props[] = {
  { "perm", "For each output dim, the input dim it is (0 n, 1 c, 2 h, 3 w), comma-separated, "
    "rank of them; empty: those dims reversed", CNNFILT_OP_PROP_STRING,
    CNNFILT_OP_PROP_FIELD (CnnfiltTranspose, perm), 0, 0, 0, NULL, { 0 }, "" },
  { "rank", "How many of the four dims are reordered (a model's rank; the others are 1s)",
    CNNFILT_OP_PROP_INT, CNNFILT_OP_PROP_FIELD (CnnfiltTranspose, rank), 1, 4, 4, NULL, { 0 } },
};

/* The permutation of all four dims: perm, then the dims after rank kept. */
static gboolean
transpose_perm (CnnfiltOp *op, guint perm[4], GError **error)
{
  CnnfiltTranspose *self = (CnnfiltTranspose *) op;
  const gchar *text = self->perm ? self->perm : "";
  guint used = 0, n = 0;
  for (gint i = 0; i < 4; i++)
    perm[i] = i < self->rank ? self->rank - 1 - i : i;
  if (*text != '\0')
    {
      g_auto (GStrv) parts = g_strsplit (text, ",", -1);
      for (n = 0; parts[n] != NULL; n++)
        {
          guint64 dim = 0;
          if (n >= (guint) self->rank ||
              !g_ascii_string_to_unsigned (g_strstrip (parts[n]), 10, 0, self->rank - 1, &dim, NULL) ||
              (used & (1u << dim)))
            break;
          used |= 1u << dim;
          perm[n] = dim;
        }
      if (parts[n] != NULL || n != (guint) self->rank)
        {
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                       "transpose: perm '%s' is not an order of the dims 0 to %d", text,
                       self->rank - 1);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
cnnfilt_transpose_validate (CnnfiltOp *op, GError **error)
{
  guint perm[4];
  return transpose_perm (op, perm, error);
}

static gboolean
cnnfilt_transpose_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                         CnnfiltShape *output, GError **error)
{
  guint perm[4];
  if (!transpose_perm (op, perm, error))
    return FALSE;
  const guint d[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  *output = (CnnfiltShape) { d[perm[0]], d[perm[1]], d[perm[2]], d[perm[3]] };
  return TRUE;
}

/* For each output dim, the stride of the input dim it reads. */
static void
transpose_strides (const CnnfiltShape *in, const guint perm[4], gssize strides[4])
{
  const guint d[4] = { in->n, in->c, in->h, in->w };
  gssize own[4];
  own[3] = 1;
  for (gint i = 2; i >= 0; i--)
    own[i] = own[i + 1] * d[i + 1];
  for (guint i = 0; i < 4; i++)
    strides[i] = own[perm[i]];
}

/* On the CPU the tensors may be channels-last on either side: each input
 * dim's step is its layout's, and the output is written in the order its
 * layout stores it. ConvNeXt's move of channels last then reads a
 * channels-last convolution's output in order, a plain copy. */
static gboolean
cnnfilt_transpose_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                       guint n_inputs, CnnfiltTensor *output, GError **error)
{
  guint perm[4];
  if (!transpose_perm (op, perm, error))
    return FALSE;
  CnnfiltShape out;
  cnnfilt_tensor_get_shape (output, &out);
  const guint o[4] = { out.n, out.c, out.h, out.w };
  const guint *out_order = layer_storage_order (cnnfilt_tensor_get_layout (output));
  gsize own[4];
  gssize s[4];
  layer_element_strides (inputs[0], own);
  for (guint k = 0; k < 4; k++)
    s[k] = (gssize) own[perm[out_order[k]]];
  const CnnfiltShape stored = { o[out_order[0]], o[out_order[1]], o[out_order[2]], o[out_order[3]] };
  layer_gather_strided (cnnfilt_tensor_get_data (inputs[0], NULL), s, &stored,
                        cnnfilt_tensor_get_data (output, NULL), ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_transpose_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                          guint n_inputs, CnnfiltTensor *output, GError **error)
{
  guint perm[4];
  if (!transpose_perm (op, perm, error))
    return FALSE;
  CnnfiltShape in;
  cnnfilt_tensor_get_shape (inputs[0], &in);
  gssize s[4];
  transpose_strides (&in, perm, s);
  return layer_gather_strided_cl (op, ctx, inputs[0], 0, s, output, error);
}

static void
cnnfilt_transpose_class_init (CnnfiltTransposeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 0;
  op_class->name = "transpose";
  op_class->example = "transpose perm=0,2,3,1";
  op_class->description = "The dims reordered: output dim i is input dim perm[i] (channels "
                          "last and back)";
  op_class->onnx_op_type = "Transpose";
  op_class->onnx_attributes = "perm:perm =RANK:rank";
  op_class->n_inputs = 1;
  op_class->validate = cnnfilt_transpose_validate;
  op_class->infer = cnnfilt_transpose_infer;
  op_class->run = cnnfilt_transpose_run;
  op_class->layouts = layer_layouts_reads_any;
  op_class->run_cl = cnnfilt_transpose_run_cl;
  cnnfilt_op_class_install_properties (op_class, transpose_props, G_N_ELEMENTS (transpose_props));
}

LAYER_NO_INIT (CnnfiltTranspose, cnnfilt_transpose)
