"""The load-test harness behind `orchid bench`: the Online Boutique shopping mix on Locust.

    cli        the `bench` command (options, printing)
    session    one run: discover the shop, ready the shoppers, run the mode, write the reports
    runner     a step in a generator process; the bounded saturation search
    generator  the Locust process (the only place locust is imported, with `mix`)
    mix        the simulated shoppers and their weighted tasks
    plan       the weights, rate → users, one step's plan
    world      what shoppers know: products in stock, categories, queries
    shoppers   the pool of registered accounts leased at checkout
    target     the stack's state.json or one process: URL and pids
    cpu        CPU time of process trees from /proc
    stats      percentiles and CPU per request of a step
    report     report.json, report.md, the terminal table, machine and commit
"""
