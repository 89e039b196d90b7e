/* emboss.c: relief effect, light from the top left
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! emboss' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
} CnnfiltEmboss;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltEmbossClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltEmboss, cnnfilt_emboss, CNNFILT_TYPE_FILTER)

enum { PROP_0, PROP_BORDER };

static guint
cnnfilt_emboss_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  static const gfloat emboss[9] = { -2, -1, 0, -1, 1, 1, 0, 1, 2 };
  kernels[0] = filter_kernel_new (3, 3, emboss);
  return 1;
}

static void
cnnfilt_emboss_set_property (GObject *object, guint prop_id, const GValue *value,
                             GParamSpec *pspec)
{
  if (prop_id == PROP_BORDER)
    cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cnnfilt_emboss_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  if (prop_id == PROP_BORDER)
    g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
}

static void
cnnfilt_emboss_class_init (CnnfiltEmbossClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_emboss_set_property;
  object_class->get_property = cnnfilt_emboss_get_property;
  op_class->name = "emboss";
  op_class->description = "Emboss: relief lit from the top left, kernel [-2 -1 0; -1 1 1; 0 1 2]";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_emboss_make_kernels;
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would emboss the frame of the image");
}

static void
cnnfilt_emboss_class_finalize (CnnfiltEmbossClass *klass)
{
}

static void
cnnfilt_emboss_init (CnnfiltEmboss *self)
{
}
