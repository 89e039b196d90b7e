/* threshold.c: binarise
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! sobel ! threshold value=0.3' -o out/ photos/
 */
#include "image-op.h"
#include "../pointwise.h"

typedef struct {
  CnnfiltOp parent_instance;
  gfloat value;
  gboolean invert;
} CnnfiltThreshold;

typedef struct {
  CnnfiltOpClass parent_class;
} CnnfiltThresholdClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltThreshold, cnnfilt_threshold, CNNFILT_TYPE_OP)

enum { PROP_0, PROP_VALUE, PROP_INVERT };

POINTWISE_RUN (cnnfilt_threshold_run, CnnfiltThreshold, (x > self->value) != self->invert ? 1.0f : 0.0f)

static void
cnnfilt_threshold_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  CnnfiltThreshold *self = (CnnfiltThreshold *) object;
  switch (prop_id)
    {
    case PROP_VALUE:
      self->value = g_value_get_float (value);
      break;
    case PROP_INVERT:
      self->invert = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_threshold_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltThreshold *self = (CnnfiltThreshold *) object;
  switch (prop_id)
    {
    case PROP_VALUE:
      g_value_set_float (value, self->value);
      break;
    case PROP_INVERT:
      g_value_set_boolean (value, self->invert);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_threshold_class_init (CnnfiltThresholdClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_threshold_set_property;
  object_class->get_property = cnnfilt_threshold_get_property;
  op_class->name = "threshold";
  op_class->description = "Binary threshold: 1 where the value is above the threshold, else 0";
  op_class->n_inputs = 1;
  op_class->infer = image_op_infer_same_shape;
  op_class->run = cnnfilt_threshold_run;

  g_object_class_install_property (
      object_class, PROP_VALUE,
      g_param_spec_float ("value", "Value", "Values strictly above it become 1, the rest 0",
                          -1e9f, 1e9f, 0.5f, IMAGE_OP_PARAM_FLAGS));
  g_object_class_install_property (
      object_class, PROP_INVERT,
      g_param_spec_boolean ("invert", "Invert", "Swap the outputs: 0 above, 1 at or below",
                            FALSE, IMAGE_OP_PARAM_FLAGS));
}

static void
cnnfilt_threshold_class_finalize (CnnfiltThresholdClass *klass)
{
}

static void
cnnfilt_threshold_init (CnnfiltThreshold *self)
{
}
