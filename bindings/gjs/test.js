// test.js: the library from GJS, as TAP: tensors, ops with properties,
// graphs, errors as GLib.Error with Cnnfilt.Error codes.
// SPDX-License-Identifier: LGPL-2.1-or-later
import Cnnfilt from 'gi://Cnnfilt?version=1.0';
import GLib from 'gi://GLib';
import System from 'system';

let n = 0, failed = 0;
function check(name, fn) {
    n++;
    try {
        fn();
        print(`ok ${n} - ${name}`);
    } catch (e) {
        failed++;
        print(`not ok ${n} - ${name}`);
        for (const line of `${e}\n${e.stack ?? ''}`.trim().split('\n'))
            print(`# ${line}`);
    }
}
function assert(cond, what) {
    if (!cond)
        throw new Error(`assertion failed: ${what}`);
}

check('a tensor from values, read back', () => {
    const t = Cnnfilt.Tensor.new_from_data([1, 2, 3, 4, 5, 6], 1, 1, 2, 3);
    assert(t.get_w() === 3 && t.get_h() === 2, 'shape');
    assert(t.get_value(0, 0, 1, 2) === 6, 'value');
});

check('sobel on a vertical edge, worked values', () => {
    // columns 0 0 1 1: the x derivative with [1 2 1] smoothing is 4 at the edge
    const t = Cnnfilt.Tensor.new_from_data([0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 1, 1], 1, 1, 3, 4);
    const op = Cnnfilt.Op.new('sobel');
    op.set_property_from_string('direction', 'x');
    op.set_property_from_string('border', 'replicate');
    const out = op.process(t);
    assert(out.get_value(0, 0, 1, 1) === 4 && out.get_value(0, 0, 1, 2) === 4, 'edge');
    assert(out.get_value(0, 0, 1, 0) === 0 && out.get_value(0, 0, 1, 3) === 0, 'flat');
});

check('a pipeline on a sample photo', () => {
    const dir = GLib.getenv('CNNFILT_SAMPLES');
    const image = Cnnfilt.image_load(GLib.build_filenamev([dir, 'camera.png']));
    const graph = Cnnfilt.Graph.new_from_string('grayscale ! sobel ! abs ! normalize');
    const out = graph.process(image);
    assert(out.get_c() === 1 && out.get_w() === image.get_w(), 'shape');
});

check('errors are GLib.Error in the Cnnfilt domain', () => {
    let caught = null;
    try {
        Cnnfilt.Graph.new_from_string('sobel direction=diagonal');
    } catch (e) {
        caught = e;
    }
    assert(caught instanceof GLib.Error, 'a GLib.Error');
    assert(caught.matches(Cnnfilt.error_quark(), Cnnfilt.Error.INVALID_ARGUMENT), 'its code');
    assert(caught.message.includes('direction'), 'names the property');
});

check('devices are listed', () => {
    const devices = Cnnfilt.Device.enumerate();
    assert(devices.length >= 1 && devices[0].get_name() === 'cpu', 'the CPU first');
});

print(`1..${n}`);
System.exit(failed > 0 ? 1 : 0);
