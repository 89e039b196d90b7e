/* expand.c: a tensor repeated along its dims of 1, as ONNX's Expand
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'expand shape=1,3,1,1' -o out/ in/ (grey made RGB)
 *
 * The output's dims are the input's broadcast against shape, numpy's way:
 * where the two differ one is 1 and the other is taken, and the input's
 * values repeat along the dims it has as 1. shape holds one size per dim
 * of the model's rank, each a number or an expression of the dims d0 … d3
 * (as slice's bounds) of the second input where there is one, else of the
 * input: the importer expands to a size known only when the graph runs
 * that way (a ViT's class token to the batch, x.expand(n, -1, -1), whose n
 * is the patches' dim 0). Tensors hold four dims, the model's rank of them
 * first and then 1s; the input has the output's rank (the importer
 * reshapes one of lower rank first, as numpy aligns it).
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
  gchar *shape;
  gint rank;
} CnnfiltExpand;

typedef CnnfiltOpClass CnnfiltExpandClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltExpand, cnnfilt_expand, CNNFILT_TYPE_OP)

static const CnnfiltOpProp expand_props[] = {
  { "shape", "The size to broadcast each dim to, comma-separated, one per dim of rank: a number "
    "(1 keeps the input's) or an expression of the dims d0 … d3 of the second input, if any, "
    "else of the input", CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (CnnfiltExpand, shape), 0,
    0, 0, NULL, { 0 }, "" },
  { "rank", "How many of the four dims are the model's (the others are 1s)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltExpand, rank), 1, 4, 4, NULL, { 0 } },
};

/* The sizes of shape for a reference of @dims (NULL: only checked). */
static gboolean
expand_sizes (CnnfiltExpand *self, const guint *dims, gint64 sizes[4], GError **error)
{
  if (!layer_dim_expr_list ("expand", "shape", self->shape, self->rank, self->rank, dims, sizes,
                            error))
    return FALSE;
  for (gint i = 0; dims != NULL && i < self->rank; i++)
    if (sizes[i] < 1 || sizes[i] > G_MAXINT)
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "expand: shape '%s' gives dim %d the size %" G_GINT64_FORMAT
                     "; sizes are 1 to %d", self->shape, i, sizes[i], G_MAXINT);
        return FALSE;
      }
  return TRUE;
}

static gboolean
cnnfilt_expand_validate (CnnfiltOp *op, GError **error)
{
  gint64 sizes[4];
  return expand_sizes ((CnnfiltExpand *) op, NULL, sizes, error);
}

static gboolean
cnnfilt_expand_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                      CnnfiltShape *output, GError **error)
{
  if (n_inputs > 2)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "expand takes the input and at most one tensor its sizes refer to, %u given",
                   n_inputs);
      return FALSE;
    }
  const CnnfiltShape *ref = &inputs[n_inputs - 1];
  const guint rd[4] = { ref->n, ref->c, ref->h, ref->w };
  const guint in[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  gint64 sizes[4];
  if (!expand_sizes ((CnnfiltExpand *) op, rd, sizes, error))
    return FALSE;
  guint out[4];
  for (gint i = 0; i < 4; i++)
    {
      if (in[i] != sizes[i] && in[i] != 1 && sizes[i] != 1)
        {
          g_autofree gchar *s = cnnfilt_shape_to_string (&inputs[0]);
          g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                       "expand: dim %d of the input (%s) is %u, which does not broadcast to %"
                       G_GINT64_FORMAT " (one of the two must be 1)", i, s, in[i], sizes[i]);
          return FALSE;
        }
      out[i] = MAX (in[i], (guint) sizes[i]);
    }
  *output = (CnnfiltShape) { out[0], out[1], out[2], out[3] };
  return TRUE;
}

/* The input's steps in the output's index space: 0 along the dims it
 * repeats. */
static void
expand_strides (CnnfiltTensor *input, CnnfiltTensor *output, gssize strides[4])
{
  CnnfiltShape in, out;
  cnnfilt_tensor_get_shape (input, &in);
  cnnfilt_tensor_get_shape (output, &out);
  const guint d[4] = { in.n, in.c, in.h, in.w }, o[4] = { out.n, out.c, out.h, out.w };
  gssize own = 1;
  for (gint i = 3; i >= 0; i--)
    {
      strides[i] = d[i] == 1 && o[i] > 1 ? 0 : own;
      own *= d[i];
    }
}

static gboolean
cnnfilt_expand_run (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                    guint n_inputs, CnnfiltTensor *output, GError **error)
{
  CnnfiltShape out;
  cnnfilt_tensor_get_shape (output, &out);
  gssize s[4];
  expand_strides (inputs[0], output, s);
  layer_gather_strided (cnnfilt_tensor_get_data (inputs[0], NULL), s, &out,
                        cnnfilt_tensor_get_data (output, NULL), ctx->n_threads);
  return TRUE;
}

static gboolean
cnnfilt_expand_run_cl (CnnfiltOp *op, const CnnfiltRunContext *ctx, CnnfiltTensor **inputs,
                       guint n_inputs, CnnfiltTensor *output, GError **error)
{
  gssize s[4];
  expand_strides (inputs[0], output, s);
  return layer_gather_strided_cl (op, ctx, inputs[0], 0, s, output, error);
}

static void
cnnfilt_expand_class_init (CnnfiltExpandClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->flops_per_output = 0;
  op_class->name = "expand";
  op_class->example = "expand shape=1,3,1,1";
  op_class->description = "The input repeated along its dims of 1 to the sizes of shape, "
                          "numbers or expressions of a second input's dims (numpy broadcasting, "
                          "ONNX Expand)";
  op_class->n_inputs = 0;
  op_class->validate = cnnfilt_expand_validate;
  op_class->infer = cnnfilt_expand_infer;
  op_class->run = cnnfilt_expand_run;
  op_class->run_cl = cnnfilt_expand_run_cl;
  cnnfilt_op_class_install_properties (op_class, expand_props, G_N_ELEMENTS (expand_props));
}

LAYER_NO_INIT (CnnfiltExpand, cnnfilt_expand)
