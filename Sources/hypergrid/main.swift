print("hypergrid")
