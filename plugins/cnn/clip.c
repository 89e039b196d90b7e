/* clip.c: Clamps to [min, max]: min=0 max=6 is ReLU6
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'conv2d weights=w.npy ! clip min=0 max=6' -o out/ in/
 */
#include "layer.h"

#include <math.h>

typedef struct {
  CnnfiltPointOp parent_instance;
  gfloat min, max;
} CnnfiltClip;

typedef CnnfiltPointOpClass CnnfiltClipClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltClip, cnnfilt_clip, CNNFILT_TYPE_POINT_OP)

static const CnnfiltOpProp clip_props[] = {
  { "min", "Lower bound", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltClip, min), -INFINITY, INFINITY,
    -INFINITY, NULL, { 0 } },
  { "max", "Upper bound", CNNFILT_OP_PROP_FLOAT, CNNFILT_OP_PROP_FIELD (CnnfiltClip, max), -INFINITY, INFINITY,
    INFINITY, NULL, { 0 } },
};

CNNFILT_POINT_OP_RUN (cnnfilt_clip_run, CnnfiltClip, x < self->min ? self->min : x > self->max ? self->max : x)

static void
cnnfilt_clip_class_init (CnnfiltClipClass *klass)
{
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  op_class->name = "clip";
  op_class->example = "conv2d weights=w.npy ! clip min=0 max=6";
  op_class->description = "Clamps to [min, max]: min=0 max=6 is ReLU6";
  op_class->onnx_op_type = "Clip";
  op_class->onnx_inputs = "- min max";
  op_class->onnx_attributes = "min:min max:max";
  CNNFILT_POINT_OP_CLASS_SET_RUN (klass, cnnfilt_clip_run);
  cnnfilt_op_class_install_properties (CNNFILT_OP_CLASS (klass), clip_props, G_N_ELEMENTS (clip_props));
}

LAYER_NO_INIT (CnnfiltClip, cnnfilt_clip)
