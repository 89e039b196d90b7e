/* cnnfilt-device.c: where ops run
 * SPDX-License-Identifier: LGPL-2.1-or-later */
/* sched_getaffinity and CPU_COUNT (cnnfilt_get_n_cpus) */
#define _GNU_SOURCE
#include "cnnfilt-device-private.h"
#include "cnnfilt-cl-private.h"
#include "cnnfilt-error.h"
#include "cnnfilt-tensor-private.h"

#include <omp.h>
#include <string.h>
#ifdef __linux__
#include <sched.h>
#endif
#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
#endif

/**
 * CnnfiltDevice:
 *
 * A device ops run on. Devices are named by a spec: `cpu` is the host
 * processor; `opencl` the first OpenCL GPU, or else the first OpenCL
 * device; `opencl:P:D` device D of platform P; any other spec a part of one
 * OpenCL device's name (`opencl:0:0`, `pthread`, `A100`).
 * `cnnfilt_device_get_default()` honours the `CNNFILT_DEVICE` environment
 * variable, and the `--device` option of `cnnfilt` sets the same.
 *
 * OpenCL is looked at only when a spec other than `cpu` is given or the
 * devices are listed: a program on the CPU loads no OpenCL driver.
 */
struct _CnnfiltDevice {
  GObject parent_instance;
  CnnfiltDeviceKind kind;
  gchar *name;
  gchar *description;
  guint n_threads;
  gboolean flush_denormals;
  CnnfiltClDevice *cl; /* the OpenCL device, owned by cnnfilt-cl.c */
  /* what `cnnfilt devices` shows */
  gchar *platform, *device_type, *version, *driver;
  guint compute_units;
  guint64 global_memory, local_memory, max_allocation;
};

G_DEFINE_TYPE (CnnfiltDevice, cnnfilt_device, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_N_THREADS,
  PROP_FLUSH_DENORMALS,
  PROP_PLATFORM,
  PROP_DEVICE_TYPE,
  PROP_COMPUTE_UNITS,
  PROP_GLOBAL_MEMORY,
  PROP_LOCAL_MEMORY,
  PROP_MAX_ALLOCATION,
  PROP_VERSION,
  PROP_DRIVER,
  PROP_UPLOADED_BYTES,
  PROP_DOWNLOADED_BYTES,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void
cnnfilt_device_set_property (GObject *object, guint id, const GValue *value, GParamSpec *pspec)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  if (id == PROP_N_THREADS)
    g_atomic_int_set ((gint *) &self->n_threads, (gint) g_value_get_uint (value));
  else if (id == PROP_FLUSH_DENORMALS)
    g_atomic_int_set (&self->flush_denormals, g_value_get_boolean (value));
  else
    G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
}

static void
cnnfilt_device_get_property (GObject *object, guint id, GValue *value, GParamSpec *pspec)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  switch (id)
    {
    case PROP_N_THREADS:
      g_value_set_uint (value, (guint) g_atomic_int_get ((gint *) &self->n_threads));
      break;
    case PROP_FLUSH_DENORMALS:
      g_value_set_boolean (value, g_atomic_int_get (&self->flush_denormals));
      break;
    case PROP_PLATFORM:
      g_value_set_string (value, self->platform);
      break;
    case PROP_DEVICE_TYPE:
      g_value_set_string (value, self->device_type);
      break;
    case PROP_COMPUTE_UNITS:
      g_value_set_uint (value, self->compute_units);
      break;
    case PROP_GLOBAL_MEMORY:
      g_value_set_uint64 (value, self->global_memory);
      break;
    case PROP_LOCAL_MEMORY:
      g_value_set_uint64 (value, self->local_memory);
      break;
    case PROP_MAX_ALLOCATION:
      g_value_set_uint64 (value, self->max_allocation);
      break;
    case PROP_VERSION:
      g_value_set_string (value, self->version);
      break;
    case PROP_DRIVER:
      g_value_set_string (value, self->driver);
      break;
    case PROP_UPLOADED_BYTES:
    case PROP_DOWNLOADED_BYTES:
      {
        guint64 bytes = 0;
#ifdef CNNFILT_HAVE_OPENCL
        if (self->cl != NULL)
          {
            g_mutex_lock (&self->cl->lock);
            bytes = id == PROP_UPLOADED_BYTES ? self->cl->uploaded : self->cl->downloaded;
            g_mutex_unlock (&self->cl->lock);
          }
#endif
        g_value_set_uint64 (value, bytes);
        break;
      }
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, id, pspec);
    }
}

static void
cnnfilt_device_finalize (GObject *object)
{
  CnnfiltDevice *self = CNNFILT_DEVICE (object);
  g_free (self->name);
  g_free (self->description);
  g_free (self->platform);
  g_free (self->device_type);
  g_free (self->version);
  g_free (self->driver);
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
  /**
   * CnnfiltDevice:flush-denormals:
   *
   * Whether ops compute denormal floats (magnitudes under 1.18e-38, which
   * no image or network needs) as zero while a graph or op runs: as input
   * and as result, on the thread that runs it and on the threads ops share
   * their work with. Each such value otherwise costs the x86 processor a
   * microcode assist of some hundred cycles; a squeeze-and-excitation gate
   * whose sigmoid saturates (EfficientNet) makes thousands of them per
   * image, and its convolutions ran 3 to 4 times slower.
   *
   * The threads get their own mode back when the run ends. It changes
   * results by at most 1.18e-38 per value. Set %FALSE for IEEE gradual
   * underflow. Host threads of x86 processors only: elsewhere, and in
   * OpenCL kernels, it has no effect.
   */
  properties[PROP_FLUSH_DENORMALS] =
      g_param_spec_boolean ("flush-denormals", "Flush denormals",
                            "Compute denormal floats as zero while ops run", TRUE,
                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  const GParamFlags ro = G_PARAM_READABLE | G_PARAM_STATIC_STRINGS;
  /**
   * CnnfiltDevice:platform:
   *
   * The OpenCL platform ("Portable Computing Language"), or "host".
   */
  properties[PROP_PLATFORM] = g_param_spec_string ("platform", "Platform", "OpenCL platform, or host", NULL, ro);
  /**
   * CnnfiltDevice:device-type:
   *
   * "cpu", "gpu", "accelerator" or "other".
   */
  properties[PROP_DEVICE_TYPE] = g_param_spec_string ("device-type", "Type", "cpu, gpu, accelerator or other", NULL, ro);
  /**
   * CnnfiltDevice:compute-units:
   *
   * Compute units (OpenCL), or the host's processors.
   */
  properties[PROP_COMPUTE_UNITS] = g_param_spec_uint ("compute-units", "Compute units", "Compute units or processors", 0, G_MAXUINT, 0, ro);
  /**
   * CnnfiltDevice:global-memory:
   *
   * Bytes of device memory, or of the host's memory.
   */
  properties[PROP_GLOBAL_MEMORY] = g_param_spec_uint64 ("global-memory", "Global memory", "Bytes of memory", 0, G_MAXUINT64, 0, ro);
  /**
   * CnnfiltDevice:local-memory:
   *
   * Bytes of local memory per work-group (OpenCL); 0 for the host.
   */
  properties[PROP_LOCAL_MEMORY] = g_param_spec_uint64 ("local-memory", "Local memory", "Bytes of local memory per work-group", 0, G_MAXUINT64, 0, ro);
  /**
   * CnnfiltDevice:max-allocation:
   *
   * The largest buffer the device allocates, in bytes: a tensor larger
   * than this cannot go to the device.
   */
  properties[PROP_MAX_ALLOCATION] = g_param_spec_uint64 ("max-allocation", "Largest buffer", "Bytes of the largest buffer", 0, G_MAXUINT64, 0, ro);
  /**
   * CnnfiltDevice:version:
   *
   * The OpenCL version the device supports ("OpenCL 3.0 PoCL …"); empty for the host.
   */
  properties[PROP_VERSION] = g_param_spec_string ("version", "Version", "OpenCL version", NULL, ro);
  /**
   * CnnfiltDevice:driver:
   *
   * The driver version; empty for the host.
   */
  properties[PROP_DRIVER] = g_param_spec_string ("driver", "Driver", "Driver version", NULL, ro);
  /**
   * CnnfiltDevice:uploaded-bytes:
   *
   * Bytes of tensor values copied to the device so far, by everything in
   * the process that uses it; 0 for the host. Graphs copy only their inputs,
   * the weights once, and the values around an op without a kernel.
   */
  properties[PROP_UPLOADED_BYTES] = g_param_spec_uint64 ("uploaded-bytes", "Uploaded bytes", "Bytes copied to the device", 0, G_MAXUINT64, 0, ro);
  /**
   * CnnfiltDevice:downloaded-bytes:
   *
   * Bytes of tensor values copied back from the device so far; 0 for the
   * host.
   */
  properties[PROP_DOWNLOADED_BYTES] = g_param_spec_uint64 ("downloaded-bytes", "Downloaded bytes", "Bytes copied back from the device", 0, G_MAXUINT64, 0, ro);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
cnnfilt_device_init (CnnfiltDevice *self)
{
  self->flush_denormals = TRUE;
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
  return g_strdup_printf ("%s, %u threads", model ? model : "host CPU", cnnfilt_get_n_cpus ());
}

/* The cgroup v2 CPU quota of this process (cpu.max: "QUOTA PERIOD" or
 * "max PERIOD"), in CPUs rounded up; 0 when there is none. */
static guint
cgroup_cpu_limit (void)
{
  g_autofree gchar *cgroup = NULL, *text = NULL;
  const gchar *path = "";
  if (g_file_get_contents ("/proc/self/cgroup", &cgroup, NULL, NULL) &&
      g_str_has_prefix (cgroup, "0::"))
    {
      path = cgroup + 3;
      g_strchomp (cgroup);
    }
  g_autofree gchar *file = g_build_filename ("/sys/fs/cgroup", path, "cpu.max", NULL);
  if (!g_file_get_contents (file, &text, NULL, NULL) &&
      !g_file_get_contents ("/sys/fs/cgroup/cpu.max", &text, NULL, NULL))
    return 0;
  gchar *end = NULL;
  guint64 quota = g_ascii_strtoull (text, &end, 10);
  guint64 period = end != text ? g_ascii_strtoull (end, NULL, 10) : 0;
  if (quota == 0 || period == 0)
    return 0; /* "max": no quota */
  return (guint) MAX (1, (quota + period - 1) / period);
}

/**
 * cnnfilt_get_n_cpus:
 *
 * The CPUs this process may use: those of its affinity mask (`taskset`,
 * a Slurm allocation, a container's cpuset), and no more than its cgroup's
 * CPU quota allows. The CPU device runs on this many threads unless told
 * otherwise, and `cnnfilt` starts as many workers.
 *
 * Returns: the count, at least 1
 */
guint
cnnfilt_get_n_cpus (void)
{
  static gsize count = 0;
  if (g_once_init_enter (&count))
    {
      guint n = g_get_num_processors ();
#ifdef __linux__
      cpu_set_t set;
      CPU_ZERO (&set);
      if (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) > 0)
        n = (guint) CPU_COUNT (&set);
#endif
      guint limit = cgroup_cpu_limit ();
      if (limit > 0)
        n = MIN (n, limit);
      g_once_init_leave (&count, MAX (n, 1));
    }
  return (guint) count;
}

static CnnfiltDevice *
cpu_device_new (void)
{
  CnnfiltDevice *self = g_object_new (CNNFILT_TYPE_DEVICE, NULL);
  self->kind = CNNFILT_DEVICE_KIND_CPU;
  self->name = g_strdup ("cpu");
  self->description = cpu_description ();
  self->platform = g_strdup ("host");
  self->device_type = g_strdup ("cpu");
  self->version = g_strdup ("");
  self->driver = g_strdup ("");
  self->compute_units = cnnfilt_get_n_cpus ();
  self->global_memory = _cnnfilt_physical_memory ();
  self->max_allocation = self->global_memory;
  return self;
}

static const gchar *
cl_device_name (CnnfiltClDevice *d)
{
#ifdef CNNFILT_HAVE_OPENCL
  return d->name;
#else
  return "";
#endif
}

static CnnfiltDevice *
cl_device_new (CnnfiltClDevice *cl)
{
  CnnfiltDevice *self = g_object_new (CNNFILT_TYPE_DEVICE, NULL);
  self->kind = CNNFILT_DEVICE_KIND_OPENCL;
  self->name = _cnnfilt_cl_spec (cl);
  self->description = _cnnfilt_cl_describe (cl);
  self->cl = cl;
#ifdef CNNFILT_HAVE_OPENCL
  self->platform = g_strdup (cl->platform_name);
  self->version = g_strdup (cl->version);
  self->driver = g_strdup (cl->driver);
  self->compute_units = cl->compute_units;
  self->global_memory = cl->global_memory;
  self->local_memory = cl->local_memory;
  self->max_allocation = cl->max_alloc;
#endif
  self->device_type = g_strdup (_cnnfilt_cl_type_name (cl));
  return self;
}

/**
 * cnnfilt_device_new_from_string:
 * @spec: a device spec: `cpu`, `opencl`, `opencl:P:D` or a unique part of
 *   an OpenCL device's name
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
  GPtrArray *devices = _cnnfilt_cl_devices ();
  CnnfiltClDevice *found = NULL;
  guint matches = 0;
  if (g_ascii_strcasecmp (spec, "opencl") == 0)
    found = _cnnfilt_cl_default_device (), matches = found != NULL;
  else
    for (guint i = 0; i < devices->len; i++)
      {
        CnnfiltClDevice *d = devices->pdata[i];
        g_autofree gchar *id = _cnnfilt_cl_spec (d);
        g_autofree gchar *name = g_utf8_strdown (cl_device_name (d), -1);
        g_autofree gchar *want = g_utf8_strdown (spec, -1);
        if (g_str_equal (id, spec))
          {
            found = d, matches = 1;
            break;
          }
        if (*want != '\0' && strstr (name, want) != NULL)
          found = d, matches++;
      }
  if (matches == 1)
    return cl_device_new (found);
  g_autoptr (GString) known = g_string_new ("cpu");
  for (guint i = 0; i < devices->len; i++)
    {
      g_autofree gchar *id = _cnnfilt_cl_spec (devices->pdata[i]);
      g_string_append_printf (known, ", %s (%s)", id, cl_device_name (devices->pdata[i]));
    }
  if (devices->len == 0)
    g_string_append (known, _cnnfilt_cl_built ()
                                ? "; no OpenCL platform is installed (Debian: pocl-opencl-icd for "
                                  "the CPU, or a GPU vendor's ICD)"
                                : "; this build has no OpenCL");
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_DEVICE, "%s device '%s' (devices: %s)",
               matches > 1 ? "ambiguous" : "unknown", spec, known->str);
  return NULL;
}

/**
 * cnnfilt_device_enumerate:
 *
 * Every device: the CPU, then each OpenCL device of each platform.
 *
 * Returns: (transfer full) (element-type CnnfiltDevice): the devices; free
 *   with `g_list_free_full (list, g_object_unref)`
 */
GList *
cnnfilt_device_enumerate (void)
{
  GList *all = NULL;
  GPtrArray *devices = _cnnfilt_cl_devices ();
  for (guint i = devices->len; i > 0; i--)
    all = g_list_prepend (all, cl_device_new (devices->pdata[i - 1]));
  return g_list_prepend (all, cpu_device_new ());
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
  GList *devices = cnnfilt_device_enumerate ();
  GStrv lines = g_new0 (gchar *, g_list_length (devices) + 1);
  guint i = 0;
  for (GList *l = devices; l != NULL; l = l->next)
    {
      CnnfiltDevice *d = l->data;
      lines[i++] = g_strdup_printf ("%s: %s", d->name, d->description);
    }
  g_list_free_full (devices, g_object_unref);
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

/**
 * cnnfilt_device_set_flush_denormals:
 * @device: a device
 * @flush: whether ops compute denormal floats as zero
 *
 * Sets #CnnfiltDevice:flush-denormals.
 */
void
cnnfilt_device_set_flush_denormals (CnnfiltDevice *device, gboolean flush)
{
  g_return_if_fail (CNNFILT_IS_DEVICE (device));
  g_object_set (device, "flush-denormals", flush, NULL);
}

/**
 * cnnfilt_device_get_flush_denormals:
 * @device: a device
 *
 * Returns: #CnnfiltDevice:flush-denormals
 */
gboolean
cnnfilt_device_get_flush_denormals (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), FALSE);
  return g_atomic_int_get (&device->flush_denormals);
}

/* The floating-point mode of a run. Each thread that takes part keeps its
 * own mode and a depth (a graph can run inside an op run), and gets back
 * the flush bits it had when the outermost run began; the exception flags
 * the run raised stay raised. OpenMP threads are the caller's pool, which
 * the ops' parallel regions reuse: one region of the run's width sets them
 * all, one more restores them. */
#if defined(__x86_64__) || defined(__i386__)
#define FLUSH_BITS 0x8040u /* MXCSR: flush to zero (15), denormals are zero (6) */
static _Thread_local guint fp_depth;
static _Thread_local guint fp_saved;

static void
fp_flush_enter (void)
{
  if (fp_depth++ == 0)
    {
      fp_saved = _mm_getcsr ();
      _mm_setcsr (fp_saved | FLUSH_BITS);
    }
}

static void
fp_flush_leave (void)
{
  if (fp_depth > 0 && --fp_depth == 0)
    _mm_setcsr ((_mm_getcsr () & ~FLUSH_BITS) | (fp_saved & FLUSH_BITS));
}

/* @step on the calling thread and on each of its run's OpenMP threads */
static void
on_run_threads (const CnnfiltRunContext *ctx, void (*step) (void))
{
  if (ctx->n_threads > 1)
    {
#pragma omp parallel num_threads ((int) ctx->n_threads)
      step ();
    }
  else
    step ();
}

gboolean
_cnnfilt_device_begin_run (const CnnfiltRunContext *ctx)
{
  if (!cnnfilt_device_get_flush_denormals (ctx->device))
    return FALSE;
  on_run_threads (ctx, fp_flush_enter);
  return TRUE;
}

void
_cnnfilt_device_end_run (const CnnfiltRunContext *ctx, gboolean began)
{
  if (began)
    on_run_threads (ctx, fp_flush_leave);
}
#else
gboolean
_cnnfilt_device_begin_run (const CnnfiltRunContext *ctx)
{
  (void) ctx;
  return FALSE;
}

void
_cnnfilt_device_end_run (const CnnfiltRunContext *ctx, gboolean began)
{
  (void) ctx;
  (void) began;
}
#endif

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
  ctx->n_threads = n > 0 ? n : cnnfilt_get_n_cpus ();
}

CnnfiltOpRunFunc
_cnnfilt_device_pick_run (CnnfiltDevice *device, CnnfiltOp *op, gboolean *on_device,
                          const gchar **why)
{
  CnnfiltOpClass *klass = CNNFILT_OP_GET_CLASS (op);
  *on_device = TRUE;
  if (device == NULL || device->kind == CNNFILT_DEVICE_KIND_CPU)
    {
      *why = "CPU device";
      return klass->run;
    }
  if (klass->run_cl != NULL)
    {
      *why = "OpenCL kernel";
      return klass->run_cl;
    }
  *on_device = FALSE;
  *why = "no OpenCL kernel for this op: ran on the CPU, values copied to and from the device";
  return klass->run;
}

gboolean
_cnnfilt_device_check_fits (CnnfiltDevice *device, gboolean on_device, CnnfiltTensor **inputs,
                            guint n_inputs, CnnfiltTensor *output, GError **error)
{
#ifdef CNNFILT_HAVE_OPENCL
  if (!on_device || device == NULL || device->cl == NULL)
    return TRUE;
  for (guint i = 0; i < n_inputs; i++)
    if (!_cnnfilt_cl_tensor_fits (device->cl, inputs[i], error))
      return FALSE;
  return _cnnfilt_cl_tensor_fits (device->cl, output, error);
#else
  return TRUE;
#endif
}

CnnfiltClDevice *
_cnnfilt_device_get_cl (CnnfiltDevice *device)
{
  g_return_val_if_fail (CNNFILT_IS_DEVICE (device), NULL);
  return device->cl;
}
