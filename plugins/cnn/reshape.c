/* reshape.c: new dims for the same values
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'reshape n=0 c=-1 h=1 w=1' -o out/ in/
 *
 * As ONNX Reshape: 0 keeps the input's dim, one dim may be -1 and is
 * inferred from the count of values.
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
  gint dims[4];
} CnnfiltReshape;

typedef CnnfiltOpClass CnnfiltReshapeClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltReshape, cnnfilt_reshape, CNNFILT_TYPE_OP)

#define DIM(name, i, def)                                                                   \
  { name, "Output dim " name ": a size, 0 to keep the input's, -1 to infer", CNNFILT_OP_PROP_INT,     \
    CNNFILT_OP_PROP_FIELD (CnnfiltReshape, dims[i]), -1, G_MAXINT, def, NULL, { 0 } }

static const CnnfiltOpProp reshape_props[] = {
  DIM ("n", 0, 0), DIM ("c", 1, -1), DIM ("h", 2, 1), DIM ("w", 3, 1),
};

static gboolean
cnnfilt_reshape_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error)
{
  CnnfiltReshape *self = (CnnfiltReshape *) op;
  const guint in[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  guint64 total = cnnfilt_shape_get_size (&inputs[0]), known = 1;
  guint64 out[4];
  gint infer = -1;
  for (gint i = 0; i < 4; i++)
    {
      gint d = self->dims[i];
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
                   "reshape: %" G_GUINT64_FORMAT " values do not fit n=%d c=%d h=%d w=%d", total,
                   self->dims[0], self->dims[1], self->dims[2], self->dims[3]);
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
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_reshape_infer;
  op_class->run = layer_run_copy;
  op_class->run_cl = layer_run_copy_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), reshape_props, G_N_ELEMENTS (reshape_props));
}

LAYER_NO_INIT (CnnfiltReshape, cnnfilt_reshape)
