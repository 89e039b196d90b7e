/* cnnfilt-cl.c: the OpenCL devices, found through the ICD loader
 * SPDX-License-Identifier: LGPL-2.1-or-later */
#include "cnnfilt-cl-private.h"
#include "cnnfilt-error.h"

#ifdef CNNFILT_HAVE_OPENCL

const gchar *
_cnnfilt_cl_status_name (cl_int status)
{
  switch (status)
    {
#define NAME(x) case x: return #x;
    NAME (CL_SUCCESS)
    NAME (CL_DEVICE_NOT_FOUND)
    NAME (CL_DEVICE_NOT_AVAILABLE)
    NAME (CL_COMPILER_NOT_AVAILABLE)
    NAME (CL_MEM_OBJECT_ALLOCATION_FAILURE)
    NAME (CL_OUT_OF_RESOURCES)
    NAME (CL_OUT_OF_HOST_MEMORY)
    NAME (CL_BUILD_PROGRAM_FAILURE)
    NAME (CL_INVALID_VALUE)
    NAME (CL_INVALID_DEVICE)
    NAME (CL_INVALID_BINARY)
    NAME (CL_INVALID_BUILD_OPTIONS)
    NAME (CL_INVALID_PROGRAM)
    NAME (CL_INVALID_PROGRAM_EXECUTABLE)
    NAME (CL_INVALID_KERNEL_NAME)
    NAME (CL_INVALID_KERNEL_ARGS)
    NAME (CL_INVALID_ARG_INDEX)
    NAME (CL_INVALID_ARG_VALUE)
    NAME (CL_INVALID_ARG_SIZE)
    NAME (CL_INVALID_WORK_DIMENSION)
    NAME (CL_INVALID_WORK_GROUP_SIZE)
    NAME (CL_INVALID_WORK_ITEM_SIZE)
    NAME (CL_INVALID_GLOBAL_WORK_SIZE)
    NAME (CL_INVALID_BUFFER_SIZE)
    NAME (CL_INVALID_MEM_OBJECT)
    NAME (CL_INVALID_COMMAND_QUEUE)
    NAME (CL_INVALID_CONTEXT)
    NAME (CL_MISALIGNED_SUB_BUFFER_OFFSET)
    NAME (CL_EXEC_STATUS_ERROR_FOR_EVENTS_IN_WAIT_LIST)
#undef NAME
    case -1001:
      return "CL_PLATFORM_NOT_FOUND_KHR";
    default:
      return "an unknown OpenCL error";
    }
}

void
_cnnfilt_cl_set_error (GError **error, const CnnfiltClDevice *device, const gchar *what,
                       cl_int status)
{
  const gchar *hint = "";
  if (status == CL_MEM_OBJECT_ALLOCATION_FAILURE || status == CL_OUT_OF_RESOURCES)
    hint = " (out of device memory or resources)";
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_DEVICE, "%s failed on %s (opencl:%u:%u): %s (%d)%s",
               what, device->name, device->platform_index, device->device_index,
               _cnnfilt_cl_status_name (status), status, hint);
}

static gchar *
device_string (cl_device_id id, cl_device_info what)
{
  gsize size = 0;
  if (clGetDeviceInfo (id, what, 0, NULL, &size) != CL_SUCCESS || size == 0)
    return g_strdup ("");
  gchar *text = g_malloc0 (size + 1);
  clGetDeviceInfo (id, what, size, text, NULL);
  return g_strstrip (text);
}

static gchar *
platform_string (cl_platform_id id, cl_platform_info what)
{
  gsize size = 0;
  if (clGetPlatformInfo (id, what, 0, NULL, &size) != CL_SUCCESS || size == 0)
    return g_strdup ("");
  gchar *text = g_malloc0 (size + 1);
  clGetPlatformInfo (id, what, size, text, NULL);
  return g_strstrip (text);
}

static CnnfiltClDevice *
device_new (cl_platform_id platform, guint p, cl_device_id id, guint d)
{
  CnnfiltClDevice *self = g_new0 (CnnfiltClDevice, 1);
  self->platform_index = p;
  self->device_index = d;
  self->platform = platform;
  self->id = id;
  self->platform_name = platform_string (platform, CL_PLATFORM_NAME);
  self->name = device_string (id, CL_DEVICE_NAME);
  self->vendor = device_string (id, CL_DEVICE_VENDOR);
  self->version = device_string (id, CL_DEVICE_VERSION);
  self->driver = device_string (id, CL_DRIVER_VERSION);
  cl_uint units = 0, width = 0;
  cl_ulong global = 0, local = 0, alloc = 0;
  size_t group = 0;
  clGetDeviceInfo (id, CL_DEVICE_TYPE, sizeof self->type, &self->type, NULL);
  clGetDeviceInfo (id, CL_DEVICE_MAX_COMPUTE_UNITS, sizeof units, &units, NULL);
  clGetDeviceInfo (id, CL_DEVICE_GLOBAL_MEM_SIZE, sizeof global, &global, NULL);
  clGetDeviceInfo (id, CL_DEVICE_LOCAL_MEM_SIZE, sizeof local, &local, NULL);
  clGetDeviceInfo (id, CL_DEVICE_MAX_MEM_ALLOC_SIZE, sizeof alloc, &alloc, NULL);
  clGetDeviceInfo (id, CL_DEVICE_MAX_WORK_GROUP_SIZE, sizeof group, &group, NULL);
  clGetDeviceInfo (id, CL_DEVICE_PREFERRED_VECTOR_WIDTH_FLOAT, sizeof width, &width, NULL);
  self->compute_units = units;
  self->global_memory = global;
  self->local_memory = local;
  self->max_alloc = alloc;
  self->max_work_group = MAX (group, 1);
  self->vector_width = MAX (width, 1);
  g_mutex_init (&self->lock);
  return self;
}

/* Every device of every platform. Kept for the life of the process, as the
 * ICD loader keeps its drivers. */
static GPtrArray *
enumerate (void)
{
  GPtrArray *devices = g_ptr_array_new ();
  cl_uint n_platforms = 0;
  if (clGetPlatformIDs (0, NULL, &n_platforms) != CL_SUCCESS || n_platforms == 0)
    return devices;
  g_autofree cl_platform_id *platforms = g_new0 (cl_platform_id, n_platforms);
  if (clGetPlatformIDs (n_platforms, platforms, NULL) != CL_SUCCESS)
    return devices;
  for (guint p = 0; p < n_platforms; p++)
    {
      cl_uint n_devices = 0;
      if (clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, 0, NULL, &n_devices) != CL_SUCCESS ||
          n_devices == 0)
        continue;
      g_autofree cl_device_id *ids = g_new0 (cl_device_id, n_devices);
      if (clGetDeviceIDs (platforms[p], CL_DEVICE_TYPE_ALL, n_devices, ids, NULL) != CL_SUCCESS)
        continue;
      for (guint d = 0; d < n_devices; d++)
        g_ptr_array_add (devices, device_new (platforms[p], p, ids[d], d));
    }
  return devices;
}

GPtrArray *
_cnnfilt_cl_devices (void)
{
  static gsize devices = 0;
  if (g_once_init_enter (&devices))
    g_once_init_leave (&devices, (gsize) enumerate ());
  return (GPtrArray *) devices;
}

CnnfiltClDevice *
_cnnfilt_cl_default_device (void)
{
  GPtrArray *devices = _cnnfilt_cl_devices ();
  for (guint i = 0; i < devices->len; i++)
    if (((CnnfiltClDevice *) devices->pdata[i])->type & CL_DEVICE_TYPE_GPU)
      return devices->pdata[i];
  return devices->len > 0 ? devices->pdata[0] : NULL;
}

static void
release_program (gpointer program)
{
  clReleaseProgram (program);
}

static void
release_kernel (gpointer kernel)
{
  clReleaseKernel (kernel);
}

gboolean
_cnnfilt_cl_open (CnnfiltClDevice *device, GError **error)
{
  g_mutex_lock (&device->lock);
  gboolean ok = TRUE;
  if (device->queue == NULL)
    {
      cl_int status = CL_SUCCESS;
      cl_context_properties props[] = { CL_CONTEXT_PLATFORM, (cl_context_properties) device->platform, 0 };
      cl_context context = clCreateContext (props, 1, &device->id, NULL, NULL, &status);
      cl_command_queue queue = NULL;
      if (status == CL_SUCCESS)
        queue = clCreateCommandQueue (context, device->id, 0, &status);
      if (status != CL_SUCCESS)
        {
          _cnnfilt_cl_set_error (error, device, "creating the context", status);
          if (context != NULL)
            clReleaseContext (context);
          ok = FALSE;
        }
      else
        {
          device->context = context;
          device->queue = queue;
          device->programs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                    release_program);
          device->kernels = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                                   release_kernel);
        }
    }
  g_mutex_unlock (&device->lock);
  return ok;
}

const gchar *
_cnnfilt_cl_type_name (const CnnfiltClDevice *device)
{
  if (device->type & CL_DEVICE_TYPE_GPU)
    return "gpu";
  if (device->type & CL_DEVICE_TYPE_ACCELERATOR)
    return "accelerator";
  if (device->type & CL_DEVICE_TYPE_CPU)
    return "cpu";
  return "other";
}

#else /* no OpenCL in this build */

GPtrArray *
_cnnfilt_cl_devices (void)
{
  static gsize devices = 0;
  if (g_once_init_enter (&devices))
    g_once_init_leave (&devices, (gsize) g_ptr_array_new ());
  return (GPtrArray *) devices;
}

CnnfiltClDevice *
_cnnfilt_cl_default_device (void)
{
  return NULL;
}

gboolean
_cnnfilt_cl_open (CnnfiltClDevice *device, GError **error)
{
  g_set_error (error, CNNFILT_ERROR, CNNFILT_ERROR_UNSUPPORTED, "built without OpenCL");
  return FALSE;
}

const gchar *
_cnnfilt_cl_type_name (const CnnfiltClDevice *device)
{
  return "none";
}

#endif

gboolean
_cnnfilt_cl_built (void)
{
#ifdef CNNFILT_HAVE_OPENCL
  return TRUE;
#else
  return FALSE;
#endif
}

gchar *
_cnnfilt_cl_spec (const CnnfiltClDevice *device)
{
#ifdef CNNFILT_HAVE_OPENCL
  return g_strdup_printf ("opencl:%u:%u", device->platform_index, device->device_index);
#else
  return g_strdup ("opencl");
#endif
}

gchar *
_cnnfilt_cl_describe (const CnnfiltClDevice *device)
{
#ifdef CNNFILT_HAVE_OPENCL
  return g_strdup_printf ("%s (%s, %s, %u compute units, %" G_GUINT64_FORMAT " MiB, %s, driver %s)",
                          device->name, device->platform_name, _cnnfilt_cl_type_name (device),
                          device->compute_units, device->global_memory >> 20, device->version,
                          device->driver);
#else
  return g_strdup ("");
#endif
}
