/* identity.c: copies its input unchanged
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'identity' -o out/ in/
 */
#include "layer.h"

typedef struct {
  CnnfiltOp parent_instance;
} CnnfiltIdentity;

typedef CnnfiltOpClass CnnfiltIdentityClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltIdentity, cnnfilt_identity, CNNFILT_TYPE_OP)

static void
cnnfilt_identity_class_init (CnnfiltIdentityClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "identity";
  op_class->example = "identity";
  op_class->description = "Copies its input unchanged";
  op_class->onnx_op_type = "Identity";
  op_class->n_inputs = 1;
  op_class->infer = cnnfilt_op_infer_same_shape;
  op_class->run = layer_run_copy;
  op_class->keeps_values = TRUE;
  op_class->run_cl = layer_run_copy_cl;
  op_class->layouts = layer_layouts_elementwise;
}

LAYER_NO_INIT (CnnfiltIdentity, cnnfilt_identity)
