/* flatten.c: to a matrix
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! flatten ! linear weights=fc.npy' -o out/ in/
 *
 * The dims before axis become the rows, the rest the columns: axis=1 turns
 * n×c×h×w into n×(c·h·w)×1×1. The values do not move.
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
  gint axis;
} CnnfiltFlatten;

typedef CnnfiltOpClass CnnfiltFlattenClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltFlatten, cnnfilt_flatten, CNNFILT_TYPE_OP)

static const CnnfiltOpProp flatten_props[] = {
  { "axis", "First dim of the columns (0 n, 1 c, 2 h, 3 w, 4: none)", CNNFILT_OP_PROP_INT,
    CNNFILT_OP_PROP_FIELD (CnnfiltFlatten, axis), 0, 4, 1, NULL, { 0 } },
};

static gboolean
cnnfilt_flatten_infer (CnnfiltOp *op, const CnnfiltShape *inputs, guint n_inputs,
                       CnnfiltShape *output, GError **error)
{
  const guint d[4] = { inputs[0].n, inputs[0].c, inputs[0].h, inputs[0].w };
  gint axis = ((CnnfiltFlatten *) op)->axis;
  guint64 rows = 1, cols = 1;
  for (gint i = 0; i < 4; i++)
    *(i < axis ? &rows : &cols) *= d[i];
  output->n = rows;
  output->c = cols;
  output->h = output->w = 1;
  return TRUE;
}

static void
cnnfilt_flatten_class_init (CnnfiltFlattenClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "flatten";
  op_class->example = "conv2d weights=w.npy ! flatten ! linear weights=fc.npy";
  op_class->description = "Reshapes to a matrix: the dims before axis as rows, the rest as columns";
  op_class->onnx_op_type = "Flatten";
  op_class->onnx_attributes = "axis=1:axis";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_flatten_infer;
  op_class->run = layer_run_copy;
  op_class->keeps_values = TRUE;
  op_class->run_cl = layer_run_copy_cl;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), flatten_props, G_N_ELEMENTS (flatten_props));
}

LAYER_NO_INIT (CnnfiltFlatten, cnnfilt_flatten)
