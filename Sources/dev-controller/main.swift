// boundary-dev-controller: filled by issue 3 (API by the control-plane work, worker by the data-plane work).
print("boundary-dev-controller: not implemented yet")
