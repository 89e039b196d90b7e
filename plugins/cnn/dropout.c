/* dropout.c: Dropout at inference: copies its input (training is not done here)
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'linear weights=w.npy ! dropout ! relu' -o out/ in/
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
  gfloat ratio;
  gboolean training;
} CnnfiltDropout;

typedef CnnfiltOpClass CnnfiltDropoutClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltDropout, cnnfilt_dropout, CNNFILT_TYPE_OP)

static const CnnfiltOpProp dropout_props[] = {
  { "ratio", "Fraction dropped in training; recorded, not used at inference", CNNFILT_OP_PROP_FLOAT,
    CNNFILT_OP_PROP_FIELD (CnnfiltDropout, ratio), 0, 1, 0.5, NULL, { 0 } },
  { "training", "Training mode (ONNX's training_mode): it drops values at random, so it is "
    "refused unless ratio is 0, where it drops none (Swin-T's attention exports so)",
    CNNFILT_OP_PROP_BOOLEAN, CNNFILT_OP_PROP_FIELD (CnnfiltDropout, training), 0, 1, 0, NULL,
    { 0 } },
};

static gboolean
dropout_validate (CnnfiltOp *op, GError **error)
{
  CnnfiltDropout *self = (CnnfiltDropout *) op;
  if (self->training && self->ratio > 0)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED,
                   "dropout: training mode with ratio %g drops values at random; only ratio 0 "
                   "(which drops none) is supported in training mode", self->ratio);
      return FALSE;
    }
  return TRUE;
}

static void
cnnfilt_dropout_class_init (CnnfiltDropoutClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "dropout";
  op_class->example = "linear weights=w.npy ! dropout ! relu";
  op_class->description = "Dropout at inference: copies its input (training is not done here)";
  op_class->onnx_op_type = "Dropout";
  op_class->onnx_inputs = "- ratio training_mode";
  /* is_test (opsets 1-6) defaults to training, which drops values */
  op_class->onnx_attributes = "ratio:ratio seed@12-: training_mode@12-:training is_test@-6=0:1";
  op_class->n_inputs = 1;
  op_class->validate = dropout_validate;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = layer_run_copy;
  op_class->keeps_values = TRUE;
  op_class->run_cl = layer_run_copy_cl;
  op_class->layouts = layer_layouts_elementwise;
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), dropout_props, G_N_ELEMENTS (dropout_props));
}

LAYER_NO_INIT (CnnfiltDropout, cnnfilt_dropout)
