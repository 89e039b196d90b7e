/* cnnfilt-device.c: where ops run
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-device-private.h"
#include "cnnfilt-error.h"

#include <string.h>

/**
 * CnnfiltDevice:
 *
 * A device ops run on. Devices are named by a spec: `cpu` is the host
 * processor. `cnnfilt_device_get_default()` honours the `CNNFILT_DEVICE`
 * environment variable, and the `--device` option of `cnnfilt` sets the
 * same.
 */
struct _CnnfiltDevice {
  GObject parent_instance;
  CnnfiltDeviceKind kind;
  gchar *name;
  gchar *description;
  guint n_threads;
};

G_DEFINE_TYPE (CnnfiltDevice, cnnfilt_device, G_TYPE_OBJECT)

enum { PROP_0, PROP_N_THREADS, N_PROPS };
static GParamSpec *properties[N_PROPS];

static void
cnnfilt_device_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  if (id == PROP_N_THREADS)
    g_atomic_int_set ((gint *) &self->n_threads, (gint) g_value_get_uint (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
cnnfilt_device_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  if (id == PROP_N_THREADS)
    g_value_set_uint (value, (guint) g_atomic_int_get ((gint *) &self->n_threads));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
cnnfilt_device_finalize (GObject *object)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  g_free (self->name);
  g_free (self->description);
  G_OBJECT_CLASS (cnnfilt_device_parent_class)->finalize (object);
}

static void
cnnfilt_device_class_init (CnnfiltDeviceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  object_class->finalize = cnnfilt_device_finalize;
  object_class->set_property = cnnfilt_device_set_property;
  object_class->get_property = cnnfilt_device_get_property;

  /**
   * CnnfiltDevice:n-threads:
   *
   * How many threads one op may use on one input, as the matrix products of
   * conv2d and linear do; 0 for one per core. A program that runs several
   * graphs at once in its own threads sets 1.
   */
  properties[PROP_N_THREADS] =
      g_param_spec_uint ("n-threads", "Threads", "Threads one op may use; 0: one per core", 0,
                         4096, 0, G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cnnfilt_device_init (CnnfiltDevice *self)
{
}

static gchar *
cpu_description (void)
{
  g_autofree gchar *cpuinfo = NULL;
  g_autofree gchar *model = NULL;
  if (g_file_get_contents ("/proc/cpuinfo", &cpuinfo, NULL, NULL))
    {
      g_auto (GStrv) lines = g_strsplit (cpuinfo, "\n", -1);
      for (gchar **line = lines; *line != NULL && model == NULL; line++)
        if (g_str_has_prefix (*line, "model name"))
          {
            const gchar *colon = strchr (*line, ':');
            if (colon != NULL)
              model = g_strstrip (g_strdup (colon + 1));
          }
    }
  return g_strdup_printf ("%s, %u threads", model ? model : "host CPU",
                          g_get_num_processors ());
}

static CnnfiltDevice *
cpu_device_new (void)
{
  CnnfiltDevice *self = g_object_new (CNNFILT_TYPE_DEVICE, NULL);
  self->kind = CNNFILT_DEVICE_KIND_CPU;
  self->name = g_strdup ("cpu");
  self->description = cpu_description ();
  return self;
}

/**
 * cnnfilt_device_new_from_string:
 * @spec: a device spec: `cpu`
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the device, or %NULL with a
 *   %CNNFILT_ERROR_DEVICE error naming the spec and the devices there are
 */
CnnfiltDevice *
cnnfilt_device_new_from_string (const gchar *spec, GError **error)
{
  g_return_val_if_fail (spec != NULL, NULL);
  if (g_ascii_strcasecmp (spec, "cpu") == 0)
    return cpu_device_new ();
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_DEVICE,
               "unknown device '%s' (devices in this build: cpu)", spec);
  return NULL;
}

/**
 * cnnfilt_device_get_default:
 * @error: return location for a #GError
 *
 * The device named by `CNNFILT_DEVICE`, or the CPU when it is unset.
 *
 * Returns: (transfer full): the device, or %NULL if `CNNFILT_DEVICE` names
 *   no device
 */
CnnfiltDevice *
cnnfilt_device_get_default (GError **error)
{
  const gchar *spec = g_getenv ("CNNFILT_DEVICE");
  if (spec == NULL || *spec == '\0')
    spec = "cpu";
  CnnfiltDevice *device = cnnfilt_device_new_from_string (spec, error);
  if (device == NULL)
    g_prefix_error (error, "CNNFILT_DEVICE: ");
  return device;
}

/**
 * cnnfilt_device_list:
 *
 * Returns: (transfer full) (array zero-terminated=1): one line per device
 *   found, `spec: description`
 */
gchar **
cnnfilt_device_list (void)
{
  g_autoptr (CnnfiltDevice) cpu = cpu_device_new ();
  GStrv lines = g_new0 (gchar *, 2);
  lines[0] = g_strdup_printf ("%s: %s", cpu->name, cpu->description);
  return lines;
}

/**
 * cnnfilt_device_get_kind:
 * @device: a device
 *
 * Returns: the kind of device
 */
CnnfiltDeviceKind
cnnfilt_device_get_kind (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), CNNFILT_DEVICE_KIND_CPU);
  return device->kind;
}

/**
 * cnnfilt_device_get_name:
 * @device: a device
 *
 * Returns: the spec that names the device (`cpu`)
 */
const gchar *
cnnfilt_device_get_name (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), NULL);
  return device->name;
}

/**
 * cnnfilt_device_get_description:
 * @device: a device
 *
 * Returns: a human-readable description: processor model and threads
 */
const gchar *
cnnfilt_device_get_description (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), NULL);
  return device->description;
}

/**
 * cnnfilt_device_set_n_threads:
 * @device: a device
 * @n_threads: threads one op may use, or 0 for one per core
 *
 * Sets #CnnfiltDevice:n-threads.
 */
void
cnnfilt_device_set_n_threads (CnnfiltDevice *device, guint n_threads)
{
  g_return_if_fail (CNNFILT_IS_DEVICE (device));
  g_object_set (device, "n-threads", n_threads, NULL);
}

/**
 * cnnfilt_device_get_n_threads:
 * @device: a device
 *
 * Returns: #CnnfiltDevice:n-threads: the threads one op may use, 0 for one
 *   per core
 */
guint
cnnfilt_device_get_n_threads (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), 0);
  return (guint) g_atomic_int_get ((gint *) &device->n_threads);
}

CnnfiltDevice *
_cnnfilt_device_get_cpu (void)
{
  static gsize cpu = 0;
  if (g_once_init_enter (&cpu))
    g_once_init_leave (&cpu, (gsize) cpu_device_new ());
  return (CnnfiltDevice *) cpu;
}

void
_cnnfilt_device_init_context (CnnfiltDevice *device, CnnfiltRunContext *ctx)
{
  if (device == NULL)
    device = _cnnfilt_device_get_cpu ();
  memset (ctx, 0, sizeof *ctx);
  ctx->device = device;
  guint n = cnnfilt_device_get_n_threads (device);
  ctx->n_threads = n > 0 ? n : g_get_num_processors ();
}

CnnfiltOpRunFunc
_cnnfilt_device_pick_run (CnnfiltDevice *device, CnnfiltOp *op, const gchar **why)
{
  /* The CPU is the only kind of this build. An OpenCL kind picks the op's
   * run_cl, or its run with why = "no OpenCL kernel for OP". */
  g_return_val_if_fail (device == NULL || device->kind == CNNFILT_DEVICE_KIND_CPU, NULL);
  *why = "CPU device";
  return CNNFILT_OP_GET_CLASS (op)->run;
}
