/* laplacian.c: the Laplacian, a second-derivative edge and blob filter
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Example: cnnfilt run 'grayscale ! laplacian neighbours=8 ! normalize' -o out/ photos/
 */
#include "filter.h"

typedef struct {
  CnnfiltFilter parent_instance;
  guint neighbours;
} CnnfiltLaplacian;

typedef struct {
  CnnfiltFilterClass parent_class;
} CnnfiltLaplacianClass;

CNNFILT_DEFINE_OP_TYPE (CnnfiltLaplacian, cnnfilt_laplacian, CNNFILT_TYPE_FILTER)

enum { PROP_0, PROP_NEIGHBOURS, PROP_BORDER };

static guint
cnnfilt_laplacian_make_kernels (CnnfiltFilter *filter, FilterKernel *kernels[2], GError **error)
{
  CnnfiltLaplacian *self = (CnnfiltLaplacian *) filter;
  static const gfloat four[9] = { 0, 1, 0, 1, -4, 1, 0, 1, 0 };
  static const gfloat eight[9] = { 1, 1, 1, 1, -8, 1, 1, 1, 1 };
  if (self->neighbours != 4 && self->neighbours != 8)
    {
      g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_INVALID_ARGUMENT,
                   "laplacian: neighbours: %u is not 4 or 8", self->neighbours);
      return 0;
    }
  kernels[0] = filter_kernel_new (3, 3, self->neighbours == 4 ? four : eight);
  return 1;
}

static void
cnnfilt_laplacian_set_property (GObject *object, guint prop_id, const GValue *value,
                                GParamSpec *pspec)
{
  CnnfiltLaplacian *self = (CnnfiltLaplacian *) object;
  switch (prop_id)
    {
    case PROP_NEIGHBOURS:
      self->neighbours = g_value_get_uint (value);
      break;
    case PROP_BORDER:
      cnnfilt_filter_set_border (CNNFILT_FILTER (object), g_value_get_enum (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_laplacian_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  CnnfiltLaplacian *self = (CnnfiltLaplacian *) object;
  switch (prop_id)
    {
    case PROP_NEIGHBOURS:
      g_value_set_uint (value, self->neighbours);
      break;
    case PROP_BORDER:
      g_value_set_enum (value, cnnfilt_filter_get_border (CNNFILT_FILTER (object)));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
cnnfilt_laplacian_class_init (CnnfiltLaplacianClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  CnnfiltOpClass *op_class = CNNFILT_OP_CLASS (klass);
  object_class->set_property = cnnfilt_laplacian_set_property;
  object_class->get_property = cnnfilt_laplacian_get_property;
  op_class->name = "laplacian";
  op_class->description = "Laplacian: sum of second derivatives, 4- or 8-neighbour 3×3 kernel";
  CNNFILT_FILTER_CLASS (klass)->make_kernels = cnnfilt_laplacian_make_kernels;

  g_object_class_install_property (
      object_class, PROP_NEIGHBOURS,
      g_param_spec_uint ("neighbours", "Neighbours",
                         "4: [0 1 0; 1 -4 1; 0 1 0]; 8: [1 1 1; 1 -8 1; 1 1 1], which also "
                         "responds to diagonal edges",
                         4, 8, 4, G_PARAM_READWRITE | G_PARAM_CONSTRUCT | G_PARAM_STATIC_STRINGS));
  cnnfilt_filter_class_install_border (CNNFILT_FILTER_CLASS (klass), PROP_BORDER,
                                       CNNFILT_BORDER_REPLICATE,
                                       "a zero border would respond to the frame of the image");
}

static void
cnnfilt_laplacian_class_finalize (CnnfiltLaplacianClass *klass)
{
}

static void
cnnfilt_laplacian_init (CnnfiltLaplacian *self)
{
}
