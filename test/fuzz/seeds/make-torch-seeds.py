# Writes the PyTorch seed models of the ONNX fuzzer (torch.onnx.export, opset 17). Run with the
# python that has torch: /usr/bin/python3 test/fuzz/seeds/make-torch-seeds.py test/fuzz/seeds
import sys, torch
out = sys.argv[1]
torch.manual_seed(0)
def export(name, model, x):
    torch.onnx.export(model, (x,), f'{out}/{name}.onnx', input_names=['input'], output_names=['output'],
                      dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}}, opset_version=17)
export('torch-logreg', torch.nn.Sequential(torch.nn.Linear(4, 1), torch.nn.Sigmoid()), torch.randn(3, 4))
export('torch-mlp', torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.ReLU(), torch.nn.Linear(8, 3), torch.nn.Tanh()), torch.randn(3, 4))
class Flat(torch.nn.Module):
    def __init__(self):
        super().__init__(); self.l = torch.nn.Linear(6, 2)
    def forward(self, x):
        return torch.softmax(self.l(x.reshape(x.shape[0], 6)).exp().log(), dim=1).mean(dim=0, keepdim=True)
export('torch-reshape', Flat(), torch.randn(3, 2, 3))
