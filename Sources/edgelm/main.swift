import EdgeLM

Console.write("edgelm\n")
