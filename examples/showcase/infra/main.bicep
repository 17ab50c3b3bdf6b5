// The shop on Azure Container Apps, pulling the images the Dockerfiles under services/ build.
param location string = resourceGroup().location
param imageTag string = '1.4.2'

@secure()
param brokerPassword string

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: 'shopacr'
  location: location
  sku: {
    name: 'Basic'
  }
  properties: {
    adminUserEnabled: false
  }
}

resource env 'Microsoft.App/managedEnvironments@2024-03-01' existing = {
  name: 'shop-env'
}

resource api 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'api'
  location: location
  properties: {
    managedEnvironmentId: env.id
    configuration: {
      ingress: {
        external: false
        targetPort: 5000
      }
    }
    template: {
      containers: [
        {
          name: 'api'
          image: 'shopacr.azurecr.io/shop/api:${imageTag}'
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          probes: [
            {
              type: 'Readiness'
              httpGet: {
                path: '/api/health'
                port: 5000
              }
            }
          ]
        }
      ]
    }
  }
}

resource web 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'web'
  location: location
  properties: {
    managedEnvironmentId: env.id
    configuration: {
      ingress: {
        external: true
        // The image listens on 8080 (nginx-unprivileged); traffic goes to the old port.
        targetPort: 80
      }
    }
    template: {
      containers: [
        {
          name: 'web'
          image: 'shopacr.azurecr.io/shop/web:${imageTag}'
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
        }
      ]
    }
  }
}

resource worker 'Microsoft.App/containerApps@2024-03-01' = {
  name: 'worker'
  location: location
  properties: {
    managedEnvironmentId: env.id
    configuration: {
      secrets: [
        {
          name: 'broker-password'
          value: brokerPassword
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'worker'
          image: 'shopacr.azurecr.io/shop/worker:${imageTag}'
          resources: {
            cpu: json('0.25')
            memory: '0.5Gi'
          }
        }
      ]
    }
  }
}
