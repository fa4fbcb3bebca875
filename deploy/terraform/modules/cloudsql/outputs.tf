output "primaries" {
  description = "Per database (main, warehouse): the primary's name, connection name and private address."
  value = {
    for db, instance in google_sql_database_instance.primary : db => {
      name            = instance.name
      connection_name = instance.connection_name
      private_ip      = instance.private_ip_address
    }
  }
}

output "replicas" {
  description = "Per replica (main-replica-1 …): its name, connection name and private address."
  value = {
    for key, instance in google_sql_database_instance.replica : key => {
      name            = instance.name
      connection_name = instance.connection_name
      private_ip      = instance.private_ip_address
    }
  }
}

output "databases" {
  description = "The schema name of each database (orchid_main, orchid_warehouse)."
  value       = { for db, database in google_sql_database.this : db => database.name }
}

output "user_name" {
  description = "The application's MySQL user."
  value       = var.user_name
}

output "server_ca_version" {
  description = "The Secret Manager version holding the servers' CA bundle (null when server_ca_secret is)."
  value       = one(google_secret_manager_secret_version.server_ca[*].name)
}
