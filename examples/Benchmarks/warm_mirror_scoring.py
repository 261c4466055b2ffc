# Warm batched scoring of pytorch_mirror.py's network, the PyTorch side of the GPU check's scoring pair. The mirror's
# own scoring figure times its first pass at the scoring batch shape, right after training, without waiting for the
# device at the end; StnClassify's is the best of three warm passes. This runs the mirror for one epoch in-process
# (its code is at module level), then times whole passes over the test set, 256 rows a pass, the softmax copied back
# to the host after each pass, after three untimed passes: with the test images resident on the device, and sent from
# host memory each pass (as StnClassify's Transform reads them).
# Usage: python3 warm_mirror_scoring.py MIRROR DIR [--cuda] [--threads T]
import sys, time, torch
mirror, data = sys.argv[1], sys.argv[2]
cuda = '--cuda' in sys.argv
threads = sys.argv[sys.argv.index('--threads') + 1] if '--threads' in sys.argv else '2'
sys.argv = [mirror, data, '--epochs', '1', '--threads', threads] + (['--cuda'] if cuda else [])
namespace = {'__name__': '__main__'}
exec(compile(open(mirror).read(), mirror, 'exec'), namespace)
net, resident, device = namespace['net'], namespace['xte'], namespace['dev']
host = resident.cpu()
net.eval()

def synchronize():
    if cuda:
        torch.cuda.synchronize()

def one_pass(images):
    with torch.no_grad():
        return [torch.softmax(net(images[i:i + 256].to(device)), 1).cpu() for i in range(0, len(images), 256)]

for name, images in [('resident', resident), ('from-host', host)]:
    for _ in range(3):
        one_pass(images)
    rates = []
    for _ in range(10):
        synchronize()
        start = time.perf_counter()
        one_pass(images)
        rates.append(len(images) / (time.perf_counter() - start))
    print(f'warm-scoring {name} {max(rates):.0f} rows/s')
