/* reshape.c: new dims for the same values
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'reshape n=0 c=-1 h=1 w=1' -o out/ in/
 *
 * As ONNX Reshape: 0 keeps the input's dim, one dim may be -1 and is
 * inferred from the count of values. shape, where set, gives the dims
 * instead, as numbers or expressions of the dims d0 … d3 of a second
 * input, if there is one, else of the input: the importer's way to reshape
 * to sizes known only when the graph runs (a ViT's attention splits its
 * heads with view(len, batch * heads, dim / heads), each read from another
 * tensor's shape).
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
  gint dims[4];
  gchar *shape;
} CnnfiltReshape;

typedef CnnfiltOpClass CnnfiltReshapeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltReshape, cnnfilt_reshape, CNNFILT_TYPE_OP)

#define DIM(name, i, def)                                                                   \
  { name, "Output dim " name ": a size, 0 to keep the input's, -1 to infer", CNNFILT_OP_PROP_INT,     \
    CNNFILT_OP_PROP_FIELD (CnnfiltReshape, dims[i]), -1, G_MAXINT, def, NULL, { 0 } }

static const CnnfiltOpProp reshape_props[] = {
  DIM ("n", 0, 0), DIM ("c", 1, -1), DIM ("h", 2, 1), DIM ("w", 3, 1),
  { "shape", "The output dims instead of n, c, h and w, comma-separated (1 to 4, the rest 1): "
    "numbers as theirs, or expressions of the dims d0 … d3 of the second input, if any, else of "
    "the input", CNNFILT_OP_PROP_STRING, CNNFILT_OP_PROP_FIELD (CnnfiltReshape, shape), 0, 0, 0,
    NULL, { 0 }, "" },
};

/* The target: n, c, h and w, or shape's values for a reference of @ref
 * dims (NULL: only checked). */
static gboolean
reshape_target (CnnfiltReshape *self, const guint *ref, gint64 dims[4], GError **error)
{
  if (self->shape == NULL || *self->shape == '\0')
    {
      for (gint i = 0; i < 4; i++)
        dims[i] = self->dims[i];
      return TRUE;
    }
  if (!layer_dim_expr_list ("reshape", "shape", self->shape, 1, 4, ref, dims, error))
    return FALSE;
  for (guint i = 0; ref != NULL && i < 4; i++)
    if (dims[i] < -1 || dims[i] > G_MAXINT)
      {
        g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                     "reshape: shape '%s' gives dim %u the size %" G_GINT64_FORMAT, self->shape,
                     i, dims[i]);
        return FALSE;
      }
  return TRUE;
}

static gboolean
cnnfilt_reshape_validate (CnnfiltOp *op, GError **error)
{
  gint64 dims[4];
  return reshape_target ((CnnfiltReshape *) op, NULL, dims, error);
}

static gboolean
cnnfilt_reshape_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error)
{
  CnnfiltReshape *self = (CnnfiltReshape *) op;
  gboolean by_shape = self->shape != NULL && *self->shape != '\0';
  if (n_inputs > (by_shape ? 2u : 1u))
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "reshape takes %s, %u given", by_shape
                   ? "the input and at most one tensor shape's expressions refer to"
                   : "one input (a second only with shape)", n_inputs);
      return FALSE;
    }
  const CnnfiltShape *r = &inputs[n_inputs - 1];
  const guint in[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  const guint ref[4] = { r->n, r->c, r->h, r->w };
  gint64 target[4];
  if (!reshape_target (self, ref, target, error))
    return FALSE;
  guint64 total = cnnfilt_shape_get_size (&inputs[0]), known = 1;
  guint64 out[4];
  gint infer = -1;
  for (gint i = 0; i < 4; i++)
    {
      gint64 d = target[i];
      if (d == -1)
        {
          if (infer >= 0)
            {
              g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                           "reshape: only one dim can be -1");
              return FALSE;
            }
          infer = i;
          continue;
        }
      out[i] = d == 0 ? in[i] : (guint64) d;
      known *= out[i];
    }
  if (infer >= 0)
    out[infer] = known ? total / known : 0;
  if (known == 0 || out[0] * out[1] * out[2] * out[3] != total)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_SHAPE,
                   "reshape: %" G_GUINT64_FORMAT " values do not fit %" G_GINT64_FORMAT "×%"
                   G_GINT64_FORMAT "×%" G_GINT64_FORMAT "×%" G_GINT64_FORMAT " (0 keeps a dim, -1 "
                   "infers one)", total, target[0], target[1], target[2], target[3]);
      return FALSE;
    }
  output->n = out[0], output->c = out[1], output->h = out[2], output->w = out[3];
  return TRUE;
}

static void
cnnfilt_reshape_class_init (CnnfiltReshapeClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "reshape";
  op_class->example = "reshape n=0 c=-1 h=1 w=1";
  op_class->description = "Gives the values new dims (0 keeps a dim, -1 infers one)";
  op_class->onnx_op_type = "Reshape";
  op_class->onnx_inputs = "- shape";
  op_class->onnx_attributes = "shape:n,c,h,w... allowzero:0";
  op_class->n_inputs = 0;
  op_class->validate = cnnfilt_reshape_validate;
  op_class->infer = cnnfilt_reshape_infer;
  op_class->run = layer_run_copy;
  op_class->keeps_values = TRUE;
  op_class->run_cl = layer_run_copy_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), reshape_props, G_N_ELEMENTS (reshape_props));
}

LAYER_NO_INIT (CnnfiltReshape, cnnfilt_reshape)
